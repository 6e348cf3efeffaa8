/**
 * moto_server's quick start (src/emulator/moto/startup.py): what it keeps on disk between starts
 * and the offerings it reads on demand change how long moto takes to start, never what it answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeRegionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig } from '../src/emulator/account';
import { freePort, type MotoServer, motoAnswers, pythonExecutable, startMoto } from '../src/emulator/moto';

/** What a caller can see of the start-up data: Regions, zones, offerings of two Regions, public parameters. */
async function answers(url: string) {
  const ec2 = (region: string) => new EC2Client({ ...clientConfig(url), region });
  const offerings = async (region: string, LocationType: 'region' | 'availability-zone' | 'availability-zone-id') => {
    const found = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2(region).send(new DescribeInstanceTypeOfferingsCommand({ LocationType, NextToken }));
      found.push(...(page.InstanceTypeOfferings ?? []).map((o) => `${o.Location} ${o.InstanceType}`));
      NextToken = page.NextToken;
    } while (NextToken);
    return found.sort();
  };
  return {
    regions: (await ec2('us-east-1').send(new DescribeRegionsCommand({}))).Regions?.map((r) => r.RegionName).sort(),
    zones: (await ec2('eu-west-1').send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones?.map(
      (z) => `${z.ZoneName} ${z.ZoneId}`,
    ),
    usEast1: await offerings('us-east-1', 'region'),
    usEast1Zones: await offerings('us-east-1', 'availability-zone'),
    euWest1Zones: await offerings('eu-west-1', 'availability-zone'),
    apSoutheast2: await offerings('ap-southeast-2', 'region'),
    saEast1ZoneIds: await offerings('sa-east-1', 'availability-zone-id'),
    image: (
      await new SSMClient(clientConfig(url)).send(
        new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }),
      )
    ).Parameter?.Value,
    hostedZones: (await new Route53Client(clientConfig(url)).send(new ListHostedZonesCommand({}))).HostedZones,
  };
}

/** moto_server itself, without the launcher: `python3 -m moto.server`. */
async function plainMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(pythonExecutable(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await motoAnswers(url))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('plain moto_server did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

async function answersOf(start: () => Promise<MotoServer>) {
  const moto = await start();
  try {
    return await answers(moto.url);
  } finally {
    await moto.stop();
  }
}

let cacheDir: string;
beforeAll(() => {
  cacheDir = mkdtempSync(path.join(tmpdir(), 'lifecycle-cache-'));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function cacheFiles(): Record<string, number> {
  const [versionDir] = readdirSync(cacheDir).filter((name) => name.startsWith('moto-'));
  const dir = path.join(cacheDir, versionDir);
  return Object.fromEntries(
    readdirSync(dir).map((name) => [path.join(dir, name), statSync(path.join(dir, name)).size]),
  );
}

test('a quick start answers as moto does: first start, from the cache, and with an unreadable cache', async () => {
  const expected = await answersOf(plainMoto);
  expect(expected.usEast1.length).toBeGreaterThan(100);
  expect(expected.euWest1Zones.some((o) => o.startsWith('eu-west-1a '))).toBe(true);
  expect(expected.saEast1ZoneIds.some((o) => o.startsWith('sae1-az1 '))).toBe(true);

  // First start: computed, and kept.
  expect(await answersOf(() => startMoto({ cacheDir }))).toEqual(expected);
  const kept = cacheFiles();
  expect(Object.keys(kept).map((file) => path.basename(file))).toEqual(
    expect.arrayContaining(['regions.pickle', 'ec2.service-2.pickle', 'route53.service-2.pickle']),
  );

  // From the cache.
  expect(await answersOf(() => startMoto({ cacheDir }))).toEqual(expected);

  // Every file unreadable (a write cut short): computed again, and kept again whole.
  for (const file of Object.keys(kept)) writeFileSync(file, 'not a pickle');
  expect(await answersOf(() => startMoto({ cacheDir }))).toEqual(expected);
  expect(cacheFiles()).toEqual(kept);
}, 120_000);
