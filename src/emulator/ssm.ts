/**
 * SSM as the workflows meet it, where moto lacks it or answers otherwise than AWS:
 * - DescribeInstanceInformation (moto: not implemented): the agent of each running instance,
 *   Online once it runs, ConnectionLost while it reboots;
 * - SendCommand runs on the guest (src/emulator/guests.ts): each step (plugin) of the document,
 *   AWS-RunShellScript's single `aws:runShellScript`, or the `mainSteps` of a document created in
 *   the emulator; a script waiting for cloud-init stays InProgress until the user data is done;
 * - GetCommandInvocation of a document with several steps needs PluginName, as on AWS
 *   (InvalidPluginName otherwise), and answers that step;
 * - ListCommandInvocations (moto: not implemented), with each plugin's status and output (the first
 *   2,500 characters, as AWS keeps) when Details is set;
 * - PutParameter keeps Parameter Store's size limits per tier (Standard 4 KB, Advanced 8 KB) and
 *   resolves Intelligent-Tiering to the tier the value needs (moto: no limit, the tier as given).
 */
import type { Instance } from '@aws-sdk/client-ec2';
import { GetDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig } from './account';
import type { ContainerGuests } from './container-guests';
import type { CallSite, FaultPlan } from './faults';
import type { Guest, Guests } from './guests';
import { errorResponse, type Operation, type WireResponse } from './protocol';
import type { Timeline } from './timeline';

export type CommandStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';

/** One step of a document, as it ran on one instance. */
export interface PluginRun {
  name: string;
  commands: string[];
  status: CommandStatus;
  stdout: string;
  stderr: string;
}

export interface Invocation {
  commandId: string;
  instanceId: string;
  document: string;
  status: CommandStatus;
  plugins: PluginRun[];
}

export interface SentCommand {
  commandId: string;
  document: string;
  instanceIds: string[];
  /** Every step's lines, in order. */
  commands: string[];
}

/** Characters of a plugin's output ListCommandInvocations returns (CommandPluginOutput, max 2500). */
const PLUGIN_OUTPUT_MAX = 2500;
const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';

export interface SsmDeps {
  motoUrl: string;
  guests: Guests;
  faults: FaultPlan;
  timeline: () => Timeline | undefined;
  /** Running instances, those of `ids` only when given. */
  runningInstances: (ids?: string[]) => Promise<Instance[]>;
  /** Real guests, when the emulator runs them (`--guests container`); else the simulated ones. */
  containers?: ContainerGuests;
}

function json(payload: unknown): WireResponse {
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(payload) };
}

/** `{{ name }}` parameters of a document step, replaced by their values joined with newlines. */
function substitute(line: string, parameters: Record<string, string[]>): string {
  return line.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_m, name: string) => (parameters[name] ?? []).join('\n'));
}

/** Parameter Store's value limits, per tier (AWS: "Standard parameters have a value limit of 4 KB. Advanced parameters have a value limit of 8 KB."). */
export const PARAMETER_VALUE_LIMIT = { Standard: 4096, Advanced: 8192 } as const;

export class SsmAgent {
  readonly invocations = new Map<string, Invocation>();
  readonly commands: SentCommand[] = [];
  private readonly ssm: SSMClient;

  constructor(private readonly deps: SsmDeps) {
    this.ssm = new SSMClient(clientConfig(deps.motoUrl));
  }

  reset(): void {
    this.invocations.clear();
    this.commands.length = 0;
  }

  /** The steps a document runs, with their lines: AWS-RunShellScript's one, or a created document's mainSteps. */
  async plugins(
    document: string,
    parameters: Record<string, string[]>,
  ): Promise<Array<{ name: string; commands: string[] }>> {
    if (document === RUN_SHELL_SCRIPT) return [{ name: 'aws:runShellScript', commands: parameters.commands ?? [] }];
    const content = (await this.ssm.send(new GetDocumentCommand({ Name: document }))).Content ?? '{}';
    const parsed = JSON.parse(content) as {
      mainSteps?: Array<{ name: string; inputs?: { runCommand?: string[] } }>;
    };
    return (parsed.mainSteps ?? []).map((step) => ({
      name: step.name,
      commands: (step.inputs?.runCommand ?? []).map((line) => substitute(line, parameters)),
    }));
  }

  /** SendCommand, before moto sees it: a document AWS would not find is refused as AWS refuses it. */
  async refusal(op: Operation, site: CallSite): Promise<WireResponse | undefined> {
    const { DocumentName } = JSON.parse(site.body) as { DocumentName: string };
    if (DocumentName === RUN_SHELL_SCRIPT) return undefined;
    try {
      await this.ssm.send(new GetDocumentCommand({ Name: DocumentName }));
      return undefined;
    } catch {
      return errorResponse(op, 'InvalidDocument', `Document with name ${DocumentName} does not exist.`, 400);
    }
  }

  /** After moto accepted a SendCommand: run it on each target's guest. */
  async sent(site: CallSite, reply: WireResponse, defaultHostname: (id: string) => Promise<string>): Promise<void> {
    const request = JSON.parse(site.body) as {
      DocumentName: string;
      InstanceIds?: string[];
      Parameters?: Record<string, string[]>;
    };
    const commandId = (JSON.parse(reply.body) as { Command?: { CommandId?: string } }).Command?.CommandId ?? '';
    this.deps.timeline()?.sendCommand(commandId, site.step);
    const plugins = await this.plugins(request.DocumentName, request.Parameters ?? {});
    const instanceIds = request.InstanceIds ?? [];
    this.commands.push({
      commandId,
      document: request.DocumentName,
      instanceIds,
      commands: plugins.flatMap((p) => p.commands),
    });
    const executionTimeout = Number(request.Parameters?.executionTimeout?.[0] ?? 3600);
    for (const instanceId of instanceIds) {
      const invocation: Invocation = {
        commandId,
        instanceId,
        document: request.DocumentName,
        status: 'InProgress',
        plugins: plugins.map((p) => ({ ...p, status: 'Pending', stdout: '', stderr: '' })),
      };
      const failure = this.deps.faults.take('command-failed', site);
      const containers = this.deps.containers;
      if (!failure && containers?.has(instanceId)) {
        // A real guest: the steps run in it, one after the other, for as long as they take.
        void this.runInContainer(invocation, containers, executionTimeout);
        this.invocations.set(`${commandId}/${instanceId}`, invocation);
        continue;
      }
      const guest = this.deps.guests.get(instanceId, await defaultHostname(instanceId));
      if (failure) {
        this.finish(invocation, failure.commandStatus ?? 'Failed', failure.message ?? 'injected command failure');
      } else if (guest.offlinePolls > 0) {
        this.finish(invocation, 'Failed', 'the instance is rebooting');
      } else if (!(guest.userData === 'running' && this.waitsForCloudInit(invocation))) {
        this.run(invocation, guest);
      }
      // Otherwise `cloud-init status --wait` blocks the script until the user data is done.
      this.invocations.set(`${commandId}/${instanceId}`, invocation);
    }
  }

  private async runInContainer(invocation: Invocation, containers: ContainerGuests, timeoutSeconds: number) {
    let failed = false;
    for (const plugin of invocation.plugins) {
      if (failed) {
        plugin.status = 'Cancelled';
        continue;
      }
      plugin.status = 'InProgress';
      const result = await containers.run(invocation.instanceId, plugin.commands, timeoutSeconds);
      Object.assign(plugin, {
        status: result.code === 0 ? 'Success' : 'Failed',
        stdout: result.stdout,
        stderr: result.stderr,
      });
      failed = result.code !== 0;
    }
    invocation.status = failed ? 'Failed' : 'Success';
  }

  private waitsForCloudInit(invocation: Invocation): boolean {
    return invocation.plugins.some((p) => this.deps.guests.waitsForCloudInit(p.commands));
  }

  /** Every plugin ends `status`, the first with `stderr`: an invocation that failed as a whole. */
  private finish(invocation: Invocation, status: CommandStatus, stderr: string): void {
    invocation.status = status;
    invocation.plugins.forEach((p, i) => {
      p.status = i === 0 ? status : 'Cancelled';
      p.stderr = i === 0 ? stderr : '';
    });
  }

  /** Runs the steps in order on the guest; a failed step ends the command, the rest do not run. */
  private run(invocation: Invocation, guest: Guest): void {
    let failed = false;
    for (const plugin of invocation.plugins) {
      if (failed) {
        plugin.status = 'Cancelled';
        continue;
      }
      Object.assign(plugin, this.deps.guests.run(guest, plugin.commands));
      failed = plugin.status !== 'Success';
    }
    invocation.status = failed ? 'Failed' : 'Success';
  }

  /** One more check of the guest: on a timeline, its user data is done once its agent is Online. */
  advanceUserData(guest: Guest, step: string | undefined): void {
    const timeline = this.deps.timeline();
    if (timeline) {
      if (timeline.agentStatus(guest.instanceId, step) === 'Online') this.deps.guests.finishUserData(guest);
    } else {
      this.deps.guests.check(guest);
    }
  }

  /** An invocation as of now: one blocked on cloud-init runs once the user data is done. */
  private current(commandId: string, instanceId: string, step: string | undefined): Invocation | undefined {
    const invocation = this.invocations.get(`${commandId}/${instanceId}`);
    if (!invocation) return undefined;
    const guest = this.deps.containers?.has(instanceId) ? undefined : this.deps.guests.peek(instanceId);
    if (invocation.status === 'InProgress' && guest) {
      this.advanceUserData(guest, step);
      if (guest.userData !== 'running') this.run(invocation, guest);
    }
    const timeline = this.deps.timeline();
    if (timeline && !timeline.commandDone(commandId, step)) {
      return {
        ...invocation,
        status: 'InProgress',
        plugins: invocation.plugins.map((p) => ({ ...p, status: 'InProgress' })),
      };
    }
    return invocation;
  }

  /** GetCommandInvocation, answered from the guest; moto's own answer is the fallback for commands it ran alone. */
  getCommandInvocation(op: Operation, site: CallSite): WireResponse | undefined {
    const request = JSON.parse(site.body) as { CommandId: string; InstanceId: string; PluginName?: string };
    const invocation = this.current(request.CommandId, request.InstanceId, op.step);
    if (!invocation) return undefined;
    let plugin = invocation.plugins[0];
    if (request.PluginName !== undefined) {
      const named = invocation.plugins.find((p) => p.name === request.PluginName);
      if (!named) return errorResponse(op, 'InvalidPluginName', '', 400);
      plugin = named;
    } else if (invocation.plugins.length > 1) {
      // AWS: "If the document contains more than one step, you must specify the name of the step".
      return errorResponse(op, 'InvalidPluginName', '', 400);
    }
    const status = invocation.plugins.length > 1 ? plugin.status : invocation.status;
    return json({
      CommandId: invocation.commandId,
      InstanceId: invocation.instanceId,
      DocumentName: invocation.document,
      PluginName: plugin?.name,
      Status: status,
      StatusDetails: status,
      ResponseCode: status === 'Success' ? 0 : status === 'Failed' ? 1 : -1,
      StandardOutputContent: plugin?.stdout ?? '',
      StandardErrorContent: plugin?.stderr ?? '',
    });
  }

  /** ListCommandInvocations, which moto does not implement. */
  listCommandInvocations(op: Operation, site: CallSite): WireResponse {
    const request = JSON.parse(site.body || '{}') as { CommandId?: string; InstanceId?: string; Details?: boolean };
    const list = [...this.invocations.values()]
      .filter(
        (i) =>
          (!request.CommandId || i.commandId === request.CommandId) &&
          (!request.InstanceId || i.instanceId === request.InstanceId),
      )
      .map((i) => this.current(i.commandId, i.instanceId, op.step) as Invocation)
      .map((i) => ({
        CommandId: i.commandId,
        InstanceId: i.instanceId,
        DocumentName: i.document,
        Status: i.status,
        StatusDetails: i.status,
        ...(request.Details
          ? {
              CommandPlugins: i.plugins.map((p) => ({
                Name: p.name,
                Status: p.status,
                StatusDetails: p.status,
                ResponseCode: p.status === 'Success' ? 0 : p.status === 'Failed' ? 1 : -1,
                Output: (p.stderr ? `${p.stdout}\n----------ERROR-------\n${p.stderr}` : p.stdout).slice(
                  0,
                  PLUGIN_OUTPUT_MAX,
                ),
              })),
            }
          : {}),
      }));
    return json({ CommandInvocations: list });
  }

  /** PutParameter within Parameter Store's limits, Intelligent-Tiering resolved; forwarded to moto as AWS would store it. */
  async putParameter(
    op: Operation,
    site: CallSite,
    forward: (body: string) => Promise<WireResponse>,
  ): Promise<WireResponse> {
    const request = JSON.parse(site.body) as { Value?: string; Tier?: string };
    const length = (request.Value ?? '').length;
    let tier = request.Tier ?? 'Standard';
    if (tier === 'Intelligent-Tiering') tier = length > PARAMETER_VALUE_LIMIT.Standard ? 'Advanced' : 'Standard';
    const limit = PARAMETER_VALUE_LIMIT[tier as keyof typeof PARAMETER_VALUE_LIMIT];
    if (limit !== undefined && length > limit) {
      const advice =
        tier === 'Standard'
          ? ' To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html'
          : '';
      return errorResponse(
        op,
        'ValidationException',
        `${tier} tier parameters support a maximum parameter value of ${limit} characters.${advice}`,
        400,
      );
    }
    return forward(JSON.stringify({ ...request, Tier: tier }));
  }

  /** The SSM agent of every running instance: Online, except while rebooting or when a fault says never. */
  async describeInstanceInformation(site: CallSite): Promise<WireResponse> {
    const request = JSON.parse(site.body || '{}') as { Filters?: { Key: string; Values: string[] }[] };
    const ids = request.Filters?.find((f) => f.Key === 'InstanceIds')?.Values;
    const list = [];
    for (const instance of await this.deps.runningInstances(ids)) {
      const instanceId = instance.InstanceId ?? '';
      if (this.deps.faults.take('agent-offline', { ...site, body: instanceId })) continue;
      const containers = this.deps.containers;
      if (containers?.has(instanceId)) {
        const status = await containers.agentStatus(instanceId);
        if (status !== 'NotRegistered')
          list.push(this.information(instance, status, instance.PrivateDnsName ?? instanceId));
        continue;
      }
      const guest = this.deps.guests.get(instanceId, instance.PrivateDnsName ?? instanceId);
      let pingStatus = this.deps.timeline()?.agentStatus(instanceId, site.step) ?? 'Online';
      if (pingStatus === 'NotRegistered') continue;
      if (guest.offlinePolls > 0) {
        guest.offlinePolls -= 1;
        pingStatus = 'ConnectionLost';
      }
      if (pingStatus === 'Online') this.advanceUserData(guest, site.step);
      list.push(this.information(instance, pingStatus, guest.hostname));
    }
    return json({ InstanceInformationList: list });
  }

  private information(instance: Instance, pingStatus: string, computerName: string) {
    return {
      InstanceId: instance.InstanceId,
      PingStatus: pingStatus,
      LastPingDateTime: Date.now() / 1000,
      AgentVersion: '3.3.0.0',
      PlatformType: 'Linux',
      PlatformName: this.deps.containers ? 'Debian GNU/Linux' : 'Amazon Linux',
      PlatformVersion: this.deps.containers ? '12' : '2023',
      ResourceType: 'EC2Instance',
      IPAddress: instance.PrivateIpAddress,
      ComputerName: computerName,
    };
  }
}
