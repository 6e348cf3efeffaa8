/**
 * Reads a synthesized template back into what a local run needs: each state machine's definition
 * as runnable ASL (Fn::Join / Ref / Fn::GetAtt resolved to placeholders), and each Lambda task's
 * bundle and environment.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../emulator/account';
import type { LocalRule } from './events';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface LambdaBundle {
  logicalId: string;
  /** The step it implements, as its logs and user agent name it: `StepsRegisterDnsAB12CD34` → RegisterDns. */
  step: string;
  memoryMb: number;
  /** The bundle `cdk synth` wrote (cdk.out/asset.<hash>/index.js). */
  file: string;
  handlerName: string;
  environment: Record<string, string>;
}

/** The state machines: one host at a time, fleets of them, and the clean-up after create-vm. */
export type Workflow = 'create' | 'destroy' | 'createFleet' | 'destroyFleet' | 'cleanUp';

export const WORKFLOWS: Record<Workflow, { logicalPrefix: string; machine: string }> = {
  create: { logicalPrefix: 'CreateVm', machine: 'create-vm' },
  destroy: { logicalPrefix: 'DestroyVm', machine: 'destroy-vm' },
  createFleet: { logicalPrefix: 'CreateFleet', machine: 'create-fleet' },
  destroyFleet: { logicalPrefix: 'DestroyFleet', machine: 'destroy-fleet' },
  cleanUp: { logicalPrefix: 'CleanUp', machine: 'clean-up' },
};

/** What runs a Task state locally: a Lambda bundle, or an execution of another of the workflows. */
export type TaskTarget = LambdaBundle | { child: Workflow };

export interface LocalDeployment {
  definitions: Record<Workflow, AslDefinition>;
  /** Each state machine's local ARN (its logical id as its name). */
  machineArns: Record<Workflow, string>;
  /** The stack's EventBridge rules, with their targets. */
  rules: LocalRule[];
  /** Task state name → what runs it, per state machine. */
  tasks: Record<Workflow, Map<string, TaskTarget>>;
  /** The SSM parameter holding the defaults, and the value the stack seeds it with. */
  defaults: { name: string; value: string };
  instanceProfileArn: string;
  /** The EventBridge Scheduler groups the stack creates (the leases'). */
  scheduleGroups: string[];
}

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

export function functionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${logicalId}`;
}

/** A state machine's local ARN: its logical id stands for the name CloudFormation would give it. */
export function stateMachineArn(logicalId: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:${logicalId}`;
}

export const LOCAL_INSTANCE_PROFILE = 'instance-lifecycle-local';

/** Resolves the intrinsic functions CDK emits, with local placeholders. */
export function resolveIntrinsics(template: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(template, v));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolveIntrinsics(template, p))).join(sep);
  }
  if ('Ref' in obj) {
    const ref = obj.Ref as string;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return LOCAL_REGION;
    if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT_ID;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const resource = template.Resources[ref];
    if (resource?.Type === 'AWS::SSM::Parameter') return resource.Properties?.Name;
    if (resource?.Type === 'AWS::StepFunctions::StateMachine') return stateMachineArn(ref);
    return ref;
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    const resource = template.Resources[id];
    if (resource?.Type === 'AWS::Lambda::Function' && attr === 'Arn') return functionArn(id);
    if (resource?.Type === 'AWS::IAM::Role' && attr === 'Arn') return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${id}`;
    if (resource?.Type === 'AWS::IAM::InstanceProfile' && attr === 'Arn') {
      return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:instance-profile/${LOCAL_INSTANCE_PROFILE}`;
    }
    return `arn:aws:local:::${id}/${attr}`;
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(template, v)]));
}

/** The definitions nested in a state: Parallel branches, a Map's item processor. */
export function nestedDefinitions(state: AslState): AslDefinition[] {
  const processor = state.ItemProcessor ?? state.Iterator;
  return [...(state.Branches ?? []), ...(processor ? [processor] : [])];
}

/** Every state of a definition, including those nested in Parallel and Map states. */
export function allStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(
    ([name, state]): Array<[string, AslState]> => [[name, state], ...nestedDefinitions(state).flatMap(allStates)],
  );
}

/** Every Task state of a definition, including nested ones. */
export function taskStates(definition: AslDefinition): Array<[string, AslState]> {
  return allStates(definition).filter(([, state]) => state.Type === 'Task');
}

function stateMachineId(template: Template, prefix: string): string {
  const id = Object.keys(template.Resources).find(
    (k) => template.Resources[k].Type === 'AWS::StepFunctions::StateMachine' && k.startsWith(prefix),
  );
  if (!id) throw new Error(`the template has no ${prefix} state machine`);
  return id;
}

export function definitionOf(template: Template, prefix: string): AslDefinition {
  const props = template.Resources[stateMachineId(template, prefix)].Properties ?? {};
  return JSON.parse(String(resolveIntrinsics(template, props.DefinitionString))) as AslDefinition;
}

export function loadDeployment(templatePath: string): LocalDeployment {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  const outdir = path.dirname(templatePath);
  const bundleOf = (logicalId: string): LambdaBundle => {
    const fn = template.Resources[logicalId];
    if (fn?.Type !== 'AWS::Lambda::Function') throw new Error(`${logicalId} is not a Lambda function`);
    const [file, handlerName] = String(fn.Properties?.Handler ?? 'index.handler').split('.');
    const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
      {}) as Record<string, unknown>;
    return {
      logicalId,
      step: logicalId.replace(/^Steps/, '').replace(/[0-9A-F]{8}$/, ''),
      memoryMb: Number(fn.Properties?.MemorySize ?? 128),
      file: path.join(outdir, String(fn.Metadata?.['aws:asset:path']), `${file}.js`),
      handlerName,
      environment: Object.fromEntries(
        Object.entries(variables).map(([k, v]) => [k, String(resolveIntrinsics(template, v))]),
      ),
    };
  };
  const workflows = Object.keys(WORKFLOWS) as Workflow[];
  const targetOf = (state: AslState): TaskTarget => {
    if (String(state.Resource).includes(':states:startExecution')) {
      const arn = String(state.Parameters?.StateMachineArn);
      const machine = arn.slice(arn.lastIndexOf(':') + 1);
      const child = workflows.find((w) => machine.startsWith(WORKFLOWS[w].logicalPrefix));
      if (!child) throw new Error(`no workflow for the state machine ${machine}`);
      return { child };
    }
    const arn = String(state.Parameters?.FunctionName ?? state.Resource);
    return bundleOf(arn.slice(arn.lastIndexOf(':') + 1));
  };
  const tasksOf = (definition: AslDefinition) =>
    new Map(taskStates(definition).map(([name, state]) => [name, targetOf(state)]));
  const definitions = Object.fromEntries(
    workflows.map((w) => [w, definitionOf(template, WORKFLOWS[w].logicalPrefix)]),
  ) as Record<Workflow, AslDefinition>;
  const parameter = Object.values(template.Resources).find((r) => r.Type === 'AWS::SSM::Parameter');
  return {
    definitions,
    machineArns: Object.fromEntries(
      workflows.map((w) => [w, stateMachineArn(stateMachineId(template, WORKFLOWS[w].logicalPrefix))]),
    ) as Record<Workflow, string>,
    rules: rulesOf(template),
    tasks: Object.fromEntries(workflows.map((w) => [w, tasksOf(definitions[w])])) as Record<
      Workflow,
      Map<string, TaskTarget>
    >,
    defaults: { name: String(parameter?.Properties?.Name), value: String(parameter?.Properties?.Value) },
    instanceProfileArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:instance-profile/${LOCAL_INSTANCE_PROFILE}`,
    scheduleGroups: Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Scheduler::ScheduleGroup')
      .map(([id, r]) => String(r.Properties?.Name ?? id)),
  };
}

interface RuleProperties {
  EventPattern?: Record<string, unknown>;
  State?: string;
  Targets?: Array<{
    Id: string;
    Arn: unknown;
    Input?: string;
    InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  }>;
}

/** The stack's enabled EventBridge rules, their patterns and targets resolved to local ARNs. */
function rulesOf(template: Template): LocalRule[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .map(([id, r]) => ({ id, props: resolveIntrinsics(template, r.Properties) as RuleProperties }))
    .filter(({ props }) => props.State !== 'DISABLED' && props.EventPattern)
    .map(({ id, props }) => ({
      id,
      pattern: props.EventPattern as Record<string, unknown>,
      targets: (props.Targets ?? []).map((t) => ({
        arn: String(t.Arn),
        input: t.Input,
        transformer: t.InputTransformer
          ? { paths: t.InputTransformer.InputPathsMap ?? {}, template: t.InputTransformer.InputTemplate }
          : undefined,
      })),
    }));
}
