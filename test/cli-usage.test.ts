/**
 * Usage mistakes, as an operator makes them at the shell: each is refused with exit 2 and one line
 * naming the flag or field, before any AWS call and before any execution (a mistake on AWS would
 * otherwise be a started, failed, billed execution in `list`). The "AWS" here is an HTTP server
 * that records every request it gets: it must get none.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/engine/synth';

const CLI = path.join(PROJECT_ROOT, 'cli', 'lifecycle.js');
let server: Server;
let endpoint: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers['x-amz-target'] ?? ''}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [CLI, ...args],
      {
        cwd: os.tmpdir(),
        timeout: 30_000,
        // Every AWS SDK client would go to the recording server, with credentials and a region.
        env: {
          ...process.env,
          AWS_ENDPOINT_URL: endpoint,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const input = path.join(os.tmpdir(), `lifecycle-usage-${process.pid}.json`);
beforeAll(() => writeFileSync(input, JSON.stringify({ hostname: 'web1', dnsZone: 'example.internal', ttl: 'abc' })));

/** [what the operator typed, what the one line must say] */
const MISTAKES: [string[], RegExp][] = [
  [['creat', '--hostname', 'web1'], /^instance-lifecycle: unknown command 'creat' \(did you mean create\?\)/],
  [
    ['create', '--hostnme', 'web1', '--zone', 'example.internal'],
    /^instance-lifecycle create: unknown option '--hostnme' \(did you mean --hostname\?\)/,
  ],
  [['create', '--zone', 'example.internal'], /^instance-lifecycle create: give --hostname NAME or --hostnames/],
  [
    ['create', '--hostname', 'web1', '--zone', 'example.internal', '--ttl', 'abc'],
    /^instance-lifecycle create: --ttl abc: not a whole number; give 1 to 86400/,
  ],
  [
    ['create', '--hostname', 'web_1', '--zone', 'example.internal'],
    /^instance-lifecycle create: InvalidInput: hostname: "web_1" is not a DNS label/,
  ],
  [['create', '--hostname', 'web1'], /^instance-lifecycle create: InvalidInput: dnsZone: is required/],
  [
    ['create', '--hostname', 'web1', '--zone', 'example.internal', '--record-type', 'AAAA'],
    /^instance-lifecycle create: --record-type AAAA: give one of CNAME, A/,
  ],
  [['create', '--input', input], /^instance-lifecycle create: InvalidInput: ttl: must be an integer/],
  [
    ['create', '--hostnames', 'web1,web1', '--zone', 'example.internal'],
    /^instance-lifecycle create: InvalidInput: hostnames: web1 is listed twice/,
  ],
  [
    ['create', '--hostname', 'web1', '--zone', 'example.internal', '--poll-interval', '301'],
    /^instance-lifecycle create: --poll-interval 301: out of range; give 0 to 300/,
  ],
  [
    ['destroy', '--instance-id', 'i-nothex', '--zone', 'example.internal'],
    /^instance-lifecycle destroy: InvalidInput: instanceId: "i-nothex" is not an instance id/,
  ],
  [
    ['destroy', '--hostname', 'web1', '--hostnames', 'a,b'],
    /^instance-lifecycle destroy: --hostname cannot be used with --hostnames/,
  ],
];

describe.each([
  ['on a deployed stack', [] as string[]],
  ['with --local', ['--local', '--endpoint']],
])('%s', (_mode, extra) => {
  test.each(MISTAKES.map(([args, line]) => [args.join(' '), args, line] as const))(
    '%s: exit 2, one line, no AWS call',
    async (_typed, args, line) => {
      const before = requests.length;
      const withMode = extra.length ? [...args, extra[0], extra[1], endpoint] : args;
      const ran = await cli(withMode);
      expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 2, stdout: '' });
      expect(ran.stderr).toMatch(line);
      expect(ran.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(requests.slice(before)).toEqual([]);
    },
  );
});

test.each([
  [
    ['status', 'not-an-arn'],
    /^instance-lifecycle status: execution-arn not-an-arn: not a Step Functions execution ARN/,
  ],
  [['status'], /^instance-lifecycle status: missing required argument 'execution-arn'/],
  [['list', '--max', 'lots'], /^instance-lifecycle list: --max lots: not a whole number; give 1 to 1000/],
  [['defaults', 'put'], /^instance-lifecycle defaults: action put: give one of get, set/],
  [['extend', 'web1', '--zone', 'example.internal'], /^instance-lifecycle extend: give --by DURATION or --to TIME/],
  [
    ['extend', 'web1', '--zone', 'example.internal', '--by', '2x'],
    /^instance-lifecycle extend: --by: "2x" is not a duration/,
  ],
  [['extend', 'web1', '--by', '2h'], /^instance-lifecycle extend: required option '--zone <zone>' not specified/],
  [
    ['create', '--hostname', 'web1', '--zone', 'example.internal', '--expires-in', '10m'],
    /^instance-lifecycle create: InvalidInput: expiresIn: 10m is 10m; the shortest lease is 15m/,
  ],
  [['emulator', '--timings', 'slow'], /^instance-lifecycle emulator: --timings slow: give one of fast, deployed/],
  [['demo', '--guests', 'vm'], /^instance-lifecycle demo: --guests vm: give one of simulated, container/],
])('%j: exit 2, one line, nothing started', async (args, line) => {
  const before = requests.length;
  const ran = await cli(args);
  expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 2, stdout: '' });
  expect(ran.stderr).toMatch(line);
  expect(ran.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(requests.slice(before)).toEqual([]);
});

test('--version prints the package version; no command prints the help on stderr and exits 2', async () => {
  const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
  expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  const bare = await cli([]);
  expect(bare.code).toBe(2);
  expect(bare.stdout).toBe('');
  expect(bare.stderr).toMatch(/^Usage: instance-lifecycle \[options\] \[command\]/);
});

test('a good command line does reach AWS: the check above is not vacuous', async () => {
  const before = requests.length;
  const ran = await cli(['create', '--hostname', 'web1', '--zone', 'example.internal', '--no-wait']);
  expect(ran.code).toBe(1);
  expect(requests.length).toBeGreaterThan(before);
});
