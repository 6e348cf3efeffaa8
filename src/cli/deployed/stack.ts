/** The deployed stack's state machines and defaults parameter, from its outputs. */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Workflow } from '../../engine/template';
import { UsageError } from '../args';
import { MACHINE } from '../io';
import { type Aws, explain, RemoteError } from './aws';

export interface Deployment {
  create: string;
  destroy: string;
  createFleet?: string;
  destroyFleet?: string;
  cleanUp?: string;
  defaultsParameter?: string;
  /** Every output, by key. */
  outputs: Record<string, string>;
}

/** The state machines and the defaults parameter, from the stack's outputs. */
export async function deploymentOf(aws: Aws, stackName: string): Promise<Deployment> {
  try {
    const out = await aws.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries(
      (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    if (!outputs.CreateVmStateMachineArn || !outputs.DestroyVmStateMachineArn) {
      throw new RemoteError(`stack ${stackName} has no CreateVmStateMachineArn/DestroyVmStateMachineArn outputs`);
    }
    return {
      create: outputs.CreateVmStateMachineArn,
      destroy: outputs.DestroyVmStateMachineArn,
      createFleet: outputs.CreateFleetStateMachineArn,
      destroyFleet: outputs.DestroyFleetStateMachineArn,
      cleanUp: outputs.CleanUpStateMachineArn,
      defaultsParameter: outputs.DefaultsParameterName,
      outputs,
    };
  } catch (error) {
    throw explain(error, { stackName, region: aws.region, endpoint: aws.endpoint });
  }
}

/** The ARN of one of the stack's state machines. */
export async function machineOf(aws: Aws, stackName: string, workflow: Workflow): Promise<string> {
  const arn = (await deploymentOf(aws, stackName))[workflow] as string | undefined;
  if (!arn) throw new UsageError(`stack ${stackName} has no ${MACHINE[workflow]} state machine: redeploy it`);
  return arn;
}
