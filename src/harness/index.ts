import * as path from 'node:path';
import { DescribeInstancesCommand, EC2Client, type Instance, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { type GetScheduleCommandOutput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { EXPIRES_AT_TAG, FQDN_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../lambdas/lib/contract';
import { createLease, instanceOfSchedule, leaseSettingsFromEnv } from '../../lambdas/lib/lease';
import { type Emulator, type Fault, startEmulator } from '../emulator';
import { clientConfig } from '../emulator/account';
import { ApiEngine } from '../emulator/executions';
import { ensureZone } from '../emulator/seed';
import { LocalEngine } from '../engine/local-engine';
import { allSchedules, type FiredSchedule } from '../engine/schedules';
import { TEMPLATE_PATH } from './deployment';

export const ZONE = 'example.internal';
export const STACK_NAME = path.basename(TEMPLATE_PATH, '.template.json');

/**
 * One emulator and one local engine per test file; `reset()` between tests. With `stack`, the
 * synthesized stack is deployed into the emulator too, and `api` runs its machines on moto's
 * engine through the Step Functions API.
 */
export class Harness {
  emulator!: Emulator;
  engine!: LocalEngine;
  api!: ApiEngine;

  /** `verbose`: the local engine's handlers write their log lines (POWERTOOLS_LOG_LEVEL=INFO), to stdout and stderr. */
  async start(options: { stack?: boolean; verbose?: boolean } = {}): Promise<void> {
    this.emulator = await startEmulator({
      zones: [ZONE],
      stack: options.stack ? { outdir: path.dirname(TEMPLATE_PATH), stackName: STACK_NAME } : undefined,
    });
    this.engine = new LocalEngine({
      endpoint: this.emulator.url,
      templatePath: TEMPLATE_PATH,
      retryMs: 1,
      verbose: options.verbose,
    });
    this.api = new ApiEngine(this.emulator.url, () => this.emulator.proxy.stack);
  }

  async stop(): Promise<void> {
    // What executions started in the background (a clean-up, the look for due leases) ends first.
    await this.engine?.idle();
    await this.emulator?.stop();
  }

  async reset(): Promise<void> {
    // A clean-up an earlier test's failure started ends before the emulator is cleared.
    await this.engine.idle();
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
  async hostRecords(zone = ZONE): Promise<ResourceRecordSet[]> {
    const zoneId = await ensureZone(this.url, zone);
    const out = await new Route53Client(clientConfig(this.url)).send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 300 }),
    );
    return (out.ResourceRecordSets ?? []).filter((r) => r.Type === 'CNAME' || r.Type === 'A');
  }

  /** Every EventBridge Scheduler schedule in the emulator, in every group: a lease left behind counts. */
  async schedules(): Promise<GetScheduleCommandOutput[]> {
    return allSchedules(new SchedulerClient(clientConfig(this.url)));
  }

  /**
   * Moves the emulator's clock forward: the schedules due by then whose target the Step Functions
   * API runs fire at once (the answer); the local engine's fire with `engine.fireDueSchedules()`.
   */
  async advanceClock(seconds: number): Promise<FiredSchedule[]> {
    const res = await fetch(`${this.url}/_emulator/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceSeconds: seconds }),
    });
    if (!res.ok) throw new Error(`the emulator's clock: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { fired: FiredSchedule[] }).fired;
  }

  /**
   * What a hostname has in the emulator: every instance ever launched under it, the live ones, its
   * records, and the lease schedules of any of its instances.
   */
  async host(
    hostname: string,
    zone = ZONE,
  ): Promise<{
    launched: Instance[];
    live: Instance[];
    records: ResourceRecordSet[];
    leases: GetScheduleCommandOutput[];
  }> {
    const launched = (await this.instances()).filter((i) => tag(i, 'Name') === hostname);
    const records = (await this.hostRecords(zone)).filter((r) => r.Name === `${hostname}.${zone}.`);
    const ids = launched.map((i) => i.InstanceId);
    const leases = (await this.schedules()).filter((s) => ids.includes(instanceOfSchedule(s.Name ?? '')));
    return { launched, live: launched.filter((i) => i.State?.Name !== 'terminated'), records, leases };
  }

  /**
   * A host as create leaves it (a tagged instance and its CNAME), made directly: for destroy tests.
   * With `expiresAt`, leased as create leases it: the tag, and the schedule for the local engine's destroy-vm.
   */
  async seedHost(hostname: string, zone = ZONE, lease?: { expiresAt: string }): Promise<Instance> {
    const fqdn = `${hostname}.${zone}`;
    const out = await new EC2Client(clientConfig(this.url)).send(
      new RunInstancesCommand({
        ImageId: 'ami-0ed094fb1304fd857',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: hostname },
              { Key: MANAGED_BY_TAG, Value: MANAGED_BY_VALUE },
              { Key: FQDN_TAG, Value: fqdn },
              ...(lease ? [{ Key: EXPIRES_AT_TAG, Value: lease.expiresAt }] : []),
            ],
          },
        ],
      }),
    );
    const instance = out.Instances?.[0] as Instance;
    if (lease) {
      await this.engine.prepare();
      const scheduler = new SchedulerClient(clientConfig(this.url));
      // The settings the local engine gave the steps: its lease group, role and destroy-vm.
      const host = { instanceId: instance.InstanceId ?? '', hostname, dnsZone: zone };
      await createLease(scheduler, leaseSettingsFromEnv(), host, lease.expiresAt);
    }
    await new Route53Client(clientConfig(this.url)).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: await ensureZone(this.url, zone),
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: fqdn,
                Type: 'CNAME',
                TTL: 300,
                ResourceRecords: [{ Value: instance.PrivateDnsName ?? '' }],
              },
            },
          ],
        },
      }),
    );
    return instance;
  }
}

export function tag(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}
