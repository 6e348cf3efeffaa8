/** `instance-lifecycle extend HOST --by 2h | --to TIME`: a host's lease moved, on AWS or on the emulator. */

import { EC2Client } from '@aws-sdk/client-ec2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseDefaults } from '../../lambdas/lib/input';
import { clientConfig } from '../emulator/account';
import { synthesize } from '../engine/synth';
import { loadDeployment } from '../engine/template';
import { DEFAULT_STACK_NAME } from './deployed/aws';
import { clientsFor } from './deployed/commands';
import { deploymentOf } from './deployed/stack';
import type { Io } from './io';
import { extendLease, type LeaseTarget, leaseSettingsOf, localLeaseSettings } from './leases';
import type { ExtendOptions } from './program';

/** The deployment's longest lease: `expiresIn` in its stored defaults, if any. */
async function longestLease(ssm: SSMClient, parameter: string | undefined): Promise<string | undefined> {
  if (!parameter) return undefined;
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
    return parseDefaults(JSON.parse(value ?? '{}')).expiresIn;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

export async function extendCommand(hostname: string, v: ExtendOptions, io: Io): Promise<number> {
  let target: LeaseTarget;
  let longest: string | undefined;
  if (v.local && v.endpoint) {
    // The local engine's machines, on the emulator: the lease starts its destroy-vm there.
    const config = clientConfig(v.endpoint);
    const deployment = loadDeployment(synthesize().templatePath);
    target = {
      ec2: new EC2Client(config),
      scheduler: new SchedulerClient(config),
      settings: localLeaseSettings(deployment),
    };
    longest = await longestLease(new SSMClient(config), deployment.defaults.name);
  } else {
    const aws = clientsFor(v);
    const deployment = await deploymentOf(aws, v.stackName ?? DEFAULT_STACK_NAME);
    target = { ec2: aws.ec2, scheduler: aws.scheduler, settings: leaseSettingsOf(deployment.outputs) };
    longest = await longestLease(aws.ssm, deployment.defaultsParameter);
  }
  const moved = await extendLease(target, { hostname, zone: v.zone, by: v.by, to: v.to, longest });
  io.out(
    moved.previous
      ? `${moved.fqdn} (${moved.instanceId}): lease moved from ${moved.previous} to ${moved.expiresAt}`
      : `${moved.fqdn} (${moved.instanceId}): leased until ${moved.expiresAt}`,
  );
  return 0;
}
