import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { type Emulator, type Fault, startEmulator } from '../../src/cli/emulator';
import { clientConfig, ensureZone } from '../../src/cli/emulator/seed';
import { LocalEngine } from '../../src/cli/local-engine';
import { TEMPLATE_PATH } from './deployment';

export const ZONE = 'example.internal';

/** One emulator and one local engine per test file; `reset()` between tests. */
export class Harness {
  emulator!: Emulator;
  engine!: LocalEngine;

  async start(): Promise<void> {
    this.emulator = await startEmulator({ zones: [ZONE] });
    this.engine = new LocalEngine({ endpoint: this.emulator.url, templatePath: TEMPLATE_PATH, retryMs: 1 });
  }

  async stop(): Promise<void> {
    await this.emulator?.stop();
  }

  async reset(): Promise<void> {
    await this.emulator.proxy.reset();
    await this.engine.prepare(true);
  }

  faults(faults: Fault[]): void {
    this.emulator.proxy.faults.set(faults);
  }

  get url(): string {
    return this.emulator.url;
  }

  /** Instances in the emulator, with their state, whatever it is. */
  async instances(): Promise<Instance[]> {
    const ec2 = new EC2Client(clientConfig(this.url));
    const out = await ec2.send(new DescribeInstancesCommand({}));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  async liveInstances(): Promise<Instance[]> {
    return (await this.instances()).filter((i) => i.State?.Name !== 'terminated');
  }

  /** The CNAME/A records of the zone other than its SOA and NS. */
  async hostRecords(zone = ZONE) {
    const zoneId = await ensureZone(this.url, zone);
    const out = await new Route53Client(clientConfig(this.url)).send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
    );
    return (out.ResourceRecordSets ?? []).filter((r) => r.Type === 'CNAME' || r.Type === 'A');
  }
}

export function tag(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}
