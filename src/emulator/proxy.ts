import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Instance,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { clientConfig } from './account';
import { type DeployedStack, deployStack } from './cloudformation';
import { ContainerGuests } from './container-guests';
import { control } from './control';
import { CAPACITY_REASON, Ec2Rules, type StateReason } from './ec2';
import { type CallSite, errorOf, type Fault, FaultPlan } from './faults';
import { Guests } from './guests';
import { LambdaService } from './lambda';
import { errorResponse, type Operation, operationOf, type WireResponse } from './protocol';
import { RateLimits, REAL_CLOCK } from './rate-limits';
import { parseChanges, refusal, zoneIdOfPath } from './route53';
import { ScheduleRunner } from './scheduler';
import { ensureZone } from './seed';
import { SsmAgent } from './ssm';
import { MachineTimings, StatusChangeBridge, type Timings } from './stepfunctions';
import type { Timeline } from './timeline';

export interface ProxyOptions {
  motoUrl: string;
  /** DescribeInstanceInformation calls that answer ConnectionLost after a reboot. @default 2 */
  rebootOfflinePolls?: number;
  /**
   * Checks (agent status, command results) for which cloud-init still runs the user data after the
   * agent is first Online, as on a real first boot. @default 3
   */
  userDataChecks?: number;
  /**
   * `container`: every instance is a real guest booted with systemd-nspawn (Linux, root); its
   * commands, reboots and agent are its own. @default 'simulated'
   */
  guests?: 'simulated' | 'container';
  /**
   * How the Step Functions API's machines wait: `fast` (Waits 0 s, Retries their minimum), or
   * `deployed` (the template's own). @default 'fast'
   */
  timings?: Timings;
  /** AWS's documented request rate limits (rate-limits.ts); also `POST /_emulator/rate-limits`. @default false */
  rateLimits?: boolean;
}

/** A stack the emulator deploys into moto and keeps deployed across resets. */
export interface LoadedStack {
  /** The cloud assembly directory (cdk.out). */
  outdir: string;
  stackName: string;
}

/**
 * The project's emulator front: forwards every AWS call to moto, except what moto lacks or gets
 * wrong for this product: the SSM agent's status, the output of the project's scripts, RunInstances
 * idempotency by ClientToken, Route 53's refusal of conflicting changes, and injected faults.
 * `/_emulator/*` is its control API.
 */
export class EmulatorProxy {
  readonly faults = new FaultPlan();
  /** On the timeline's virtual clock when there is one, else the real one. */
  readonly rateLimits: RateLimits;
  readonly guests = new Guests();
  /** Calls per operation, and per `Step Operation` for calls a workflow step made. */
  readonly calls = new Map<string, number>();
  private readonly launches = new Map<string, WireResponse>();
  /** Instances EC2 terminated right after their launch (a fault, a bad KMS key), and why. */
  private readonly failedLaunches = new Map<string, StateReason>();
  /** Route 53 applies a zone's changes one at a time; so does the proxy, to refuse conflicts faithfully. */
  private route53Queue: Promise<unknown> = Promise.resolve();
  private readonly zones = new Set<string>();
  private readonly ec2: EC2Client;
  private readonly rebootOfflinePolls: number;
  private readonly ssm: SsmAgent;
  /** Real guests, with `guests: 'container'`. */
  readonly containers?: ContainerGuests;
  /** Lambda Invoke, for moto's Step Functions engine and anyone else. */
  readonly lambda: LambdaService;
  /** Execution status changes to the account's EventBridge rules. */
  readonly statusChanges: StatusChangeBridge;
  /** The timings the Step Functions API's machines run with. */
  readonly machineTimings: MachineTimings;
  /** The emulator's clock, and the schedules (leases) it fires on it. */
  readonly schedules: ScheduleRunner;
  /** The stack deployed into moto, if any: what `loadStack` did, done again after a reset. */
  stack?: DeployedStack;
  private loaded?: LoadedStack;
  private url = '';
  private readonly ec2Rules: Ec2Rules;
  private server?: Server;
  /** AWS's delays in virtual time (the benchmark); without one, everything is ready at once. */
  timeline?: Timeline;

  constructor(private readonly options: ProxyOptions) {
    this.ec2 = new EC2Client(clientConfig(options.motoUrl));
    this.rebootOfflinePolls = options.rebootOfflinePolls ?? 2;
    this.rateLimits = new RateLimits(options.rateLimits, () => this.timeline?.now ?? REAL_CLOCK);
    this.ec2Rules = new Ec2Rules(options.motoUrl);
    if (options.guests === 'container') this.containers = new ContainerGuests();
    this.ssm = new SsmAgent({
      containers: this.containers,
      motoUrl: options.motoUrl,
      guests: this.guests,
      faults: this.faults,
      timeline: () => this.timeline,
      runningInstances: (ids) => this.instances(ids),
    });
    this.lambda = new LambdaService({
      motoUrl: options.motoUrl,
      endpoint: () => this.url,
      // Inside the project, so that the unpacked bundles find its node_modules (the AWS SDK).
      codeRoot: path.resolve(__dirname, '..', '..', '.emulator', 'lambda'),
    });
    this.machineTimings = new MachineTimings(options.motoUrl, options.timings ?? 'fast');
    this.statusChanges = new StatusChangeBridge(options.motoUrl, (arn) => this.machineTimings.prepare(arn));
    this.schedules = new ScheduleRunner(options.motoUrl, (arn) => this.machineTimings.prepare(arn));
  }

  /**
   * Deploys the synthesized stack into moto, as `cdk deploy` would, with moto's Step Functions
   * engine on: the Step Functions API then runs the machines CloudFormation created.
   */
  async loadStack(stack: LoadedStack): Promise<DeployedStack> {
    this.loaded = stack;
    this.statusChanges.arm();
    this.stack = await deployStack(this.options.motoUrl, stack.outdir, stack.stackName);
    return this.stack;
  }

  /** Every Run Command sent, in order: its document and the lines of its steps. */
  get commands() {
    return this.ssm.commands;
  }

  listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator proxy error: ${error.stack ?? error.message}`);
      });
    });
    // Node closes an idle connection after 5 s, and a client that reuses it at that moment gets
    // ECONNRESET and retries: an extra call no AWS endpoint would cause. AWS keeps them open longer.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    return new Promise((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => {
        const address = this.server?.address();
        this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
        this.statusChanges.start();
        this.schedules.start();
        resolve(this.url);
      });
    });
  }

  /** Stops answering; real guests are stopped and removed. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    await this.statusChanges.stop();
    await this.schedules.stop();
    await this.lambda.close();
    await this.containers?.close();
  }

  async seedZone(name: string): Promise<string> {
    this.zones.add(name);
    return ensureZone(this.options.motoUrl, name);
  }

  /** Clears moto and the proxy's own state; the zones seeded so far are seeded again. */
  async reset(): Promise<void> {
    await fetch(`${this.options.motoUrl}/moto-api/reset`, { method: 'POST' });
    await this.containers?.reset();
    this.faults.clear();
    this.rateLimits.reset();
    this.guests.clear();
    this.ssm.reset();
    this.calls.clear();
    this.launches.clear();
    this.failedLaunches.clear();
    for (const zone of this.zones) await ensureZone(this.options.motoUrl, zone);
    await this.statusChanges.stop();
    await this.schedules.stop();
    this.statusChanges.reset();
    this.schedules.reset();
    this.machineTimings.reset();
    if (this.loaded) await this.loadStack(this.loaded);
    this.statusChanges.start();
    this.schedules.start();
  }

  state() {
    return {
      guests: this.guests.all(),
      containers: this.containers?.running() ?? [],
      commands: this.ssm.commands,
      invocations: [...this.ssm.invocations.values()],
      calls: Object.fromEntries(this.calls),
      throttled: Object.fromEntries(this.rateLimits.throttled),
      faults: this.faults.list(),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = raw.toString('utf8');
    const path = req.url ?? '/';
    if (path.startsWith('/_emulator/')) return control(this, req.method ?? 'GET', path, body, res);

    const op = operationOf(req.method ?? 'GET', path, req.headers, body);
    if (op.step) this.stepCallCount += 1;
    this.count(op.name);
    if (op.step) this.count(`${op.step} ${op.name}`);
    // Step Functions, or CloudFormation and the rest, which can make state machines too.
    if (op.service === 'states' || op.service === 'other') this.statusChanges.arm();
    // S3, CloudFormation and the rest go to moto byte for byte (an asset upload is a zip).
    if (op.service === 'other') return this.relay(req, path, raw, res);
    if (op.service === 'states' && /^Start(Sync)?Execution$/.test(op.name)) {
      await this.machineTimings.prepare(String(JSON.parse(body || '{}').stateMachineArn ?? ''));
    }
    const reply = await this.answer(op, req, path, body);
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  /** Calls the workflows' steps made (throttled ones included) since the emulator started. */
  stepCallCount = 0;

  private count(key: string): void {
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  private async answer(op: Operation, req: IncomingMessage, path: string, body: string): Promise<WireResponse> {
    const throttled = this.rateLimits.refusal(op, req.headers, body);
    if (throttled) return throttled;
    const site: CallSite = { operation: op.name, step: op.step, body };
    const slow = this.faults.take('latency', site);
    if (slow) await sleep(slow.delayMs ?? 1000);
    const before = this.faults.take('error', site) ?? this.faults.take('throttle', site);
    if (before && !before.after) return this.injected(op, before);

    let reply: WireResponse;
    if (op.name === 'Invoke') return this.lambda.invoke(path, body, req.headers);
    const own = await this.answerOwn(op, site, (rewritten) => this.forward(req, path, rewritten));
    if (own) reply = own;
    else if (op.name === 'RunInstances') reply = await this.runInstances(req, path, body, site);
    else if (op.name === 'ChangeResourceRecordSets') reply = await this.changeRecords(op, req, path, body);
    else {
      reply = await this.forward(req, path, body);
      if (reply.status === 200) await this.observe(op, site, reply);
    }
    if (before?.after) return this.injected(op, before);
    return reply;
  }

  private injected(op: Operation, fault: Fault): WireResponse {
    const { code, status } = errorOf(fault, op.service);
    return errorResponse(op, code, fault.message ?? `injected ${code}`, status);
  }

  /** Refuses a CREATE of an existing record and a DELETE that does not match it, as Route 53 does. */
  private changeRecords(op: Operation, req: IncomingMessage, path: string, body: string): Promise<WireResponse> {
    const run = async () => {
      const zoneId = zoneIdOfPath(path);
      const refused = zoneId ? await refusal(this.options.motoUrl, zoneId, parseChanges(body)) : undefined;
      if (refused) return errorResponse(op, 'InvalidChangeBatch', refused, 400);
      const forwarded = await this.forward(req, path, body);
      // moto answers every change with one fixed ID; Route 53 gives each its own.
      const reply = forwarded.status === 200 ? withOwnChangeId(forwarded) : forwarded;
      const changeId = changeIdOf(reply.body);
      if (reply.status === 200 && changeId) this.timeline?.changeRecords(changeId, op.step);
      return reply;
    };
    const result = this.route53Queue.then(run, run);
    this.route53Queue = result.catch(() => undefined);
    return result;
  }

  private async relay(req: IncomingMessage, path: string, raw: Buffer, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const reply = await fetch(`${this.options.motoUrl}${path}`, {
      method,
      headers: forwardedHeaders(req),
      body: method === 'GET' || method === 'HEAD' ? undefined : raw,
    });
    res.writeHead(reply.status, replyHeaders(reply));
    res.end(Buffer.from(await reply.arrayBuffer()));
  }

  private async forward(req: IncomingMessage, path: string, body: string): Promise<WireResponse> {
    const method = req.method ?? 'GET';
    const res = await fetch(`${this.options.motoUrl}${path}`, {
      method,
      headers: forwardedHeaders(req),
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    });
    return { status: res.status, headers: replyHeaders(res), body: await res.text() };
  }

  /** RunInstances with a ClientToken already used returns the first launch, as EC2 does. */
  private async runInstances(req: IncomingMessage, path: string, body: string, site: CallSite): Promise<WireResponse> {
    const token = new URLSearchParams(body).get('ClientToken');
    const earlier = token ? this.launches.get(token) : undefined;
    if (earlier) return earlier;
    const reply = await this.forward(req, path, body);
    if (reply.status !== 200) return reply;
    if (token) this.launches.set(token, reply);
    const ids = [...reply.body.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map(([, id]) => id);
    for (const id of ids) this.timeline?.launch(id, site.step);
    await this.bootGuests(ids, new URLSearchParams(body).get('ImageId') ?? '', reply.body, site);
    const failure = this.faults.take('instance-fails', site)
      ? CAPACITY_REASON
      : await this.ec2Rules.launchFailure(body);
    if (failure) {
      await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      for (const id of ids) this.failedLaunches.set(id, failure);
    }
    return reply;
  }

  /** A guest per launched instance, as its image makes it: minimal images lack the `hostname` binary. */
  private async bootGuests(ids: string[], imageId: string, launchReply: string, site: CallSite): Promise<void> {
    let imageName = '';
    try {
      const out = await this.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      imageName = out.Images?.[0]?.Name ?? '';
    } catch {
      // an image moto does not know: a plain one
    }
    const names = [...launchReply.matchAll(/<privateDnsName>([^<]*)<\/privateDnsName>/g)].map(([, n]) => n);
    if (this.containers) {
      const encoded = new URLSearchParams(site.body).get('UserData');
      const userData = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : undefined;
      ids.forEach((id, i) => {
        this.containers?.launch({ instanceId: id, privateDnsName: names[i] ?? '', imageName, userData });
      });
      return;
    }
    ids.forEach((id, i) => {
      this.guests.create(id, {
        defaultHostname: names[i] || id,
        hasHostnameBinary: !/minimal/i.test(imageName),
        userDataChecks: this.options.userDataChecks ?? 3,
        userDataFails: this.faults.take('user-data-fails', site) !== undefined,
      });
    });
  }

  /** Rewrites the `<item>` of each instance in a DescribeInstances reply for which `edit` returns new XML. */
  private editInstances(reply: WireResponse, edit: (id: string, item: string) => string | undefined): void {
    reply.body = reply.body.replace(/<instancesSet>([\s\S]*?)<\/instancesSet>/g, (_all, inner: string) => {
      const edited = topLevelItems(inner).map((item) => {
        const id = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(item)?.[1];
        return (id && edit(id, item)) ?? item;
      });
      return `<instancesSet>${edited.join('')}</instancesSet>`;
    });
  }

  /**
   * What moto's DescribeInstances cannot say: why a failed launch was terminated (insufficient
   * capacity, a KMS key it cannot use), and, on a timeline, that an instance is still pending or shutting down.
   */
  private describeInstances(reply: WireResponse, step: string | undefined): void {
    this.editInstances(reply, (id, item) => {
      let edited = item;
      const failed = this.failedLaunches.get(id);
      if (failed) {
        edited = edited
          .replace(
            /<stateReason>[\s\S]*?<\/stateReason>/,
            `<stateReason><code>${failed.code}</code><message>${failed.message}</message></stateReason>`,
          )
          .replace(/<reason>[\s\S]*?<\/reason>/, `<reason>${failed.message}</reason>`);
      }
      const actual = /<instanceState>\s*<code>\d+<\/code>\s*<name>([a-z-]+)<\/name>/.exec(edited)?.[1];
      if (this.timeline && actual) {
        const { name, code } = this.timeline.instanceState(id, actual, step);
        edited = edited.replace(
          /<instanceState>\s*<code>\d+<\/code>\s*<name>[a-z-]+<\/name>/,
          `<instanceState><code>${code}</code><name>${name}</name>`,
        );
      }
      return edited === item ? undefined : edited;
    });
  }

  /** Side effects moto cannot model: reboots, and what the project's scripts do inside the guest. */
  private async observe(op: Operation, site: CallSite, reply: WireResponse): Promise<void> {
    const { body } = site;
    if (op.name === 'DescribeInstances') {
      this.describeInstances(reply, op.step);
    } else if (op.name === 'GetChange') {
      // moto drops the `/change/` Route 53 writes before the ID.
      reply.body = reply.body.replace(/<Id>(?!\/change\/)([^<]+)<\/Id>/, '<Id>/change/$1</Id>');
      const changeId = changeIdOf(reply.body) ?? '';
      const propagating = this.timeline && !this.timeline.changeInSync(changeId, op.step);
      if (this.faults.take('dns-pending', site) || propagating)
        reply.body = reply.body.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
    } else if (op.name === 'RebootInstances') {
      for (const id of instanceIdsOf(body)) {
        if (this.containers?.has(id)) {
          this.containers.reboot(id);
          continue;
        }
        // On a timeline the agent's absence is a span of virtual time, not a number of polls.
        this.guests.reboot(id, this.timeline ? 0 : this.rebootOfflinePolls);
        this.timeline?.reboot(id, op.step);
      }
    } else if (op.name === 'TerminateInstances') {
      for (const id of instanceIdsOf(body)) {
        this.timeline?.terminate(id, op.step);
        await this.containers?.terminate(id);
      }
    } else if (op.name === 'SendCommand') {
      await this.ssm.sent(site, reply, (id) => this.defaultHostname(id));
    }
  }

  /** Calls the emulator answers itself, moto not knowing them (or not as AWS answers them). */
  private async answerOwn(
    op: Operation,
    site: CallSite,
    forward: (body: string) => Promise<WireResponse>,
  ): Promise<WireResponse | undefined> {
    switch (op.name) {
      case 'PutParameter':
        return this.ssm.putParameter(op, site, forward);
      case 'DescribeInstanceInformation':
        return this.ssm.describeInstanceInformation(site);
      case 'ListCommandInvocations':
        return this.ssm.listCommandInvocations(op, site);
      case 'GetCommandInvocation':
        return this.ssm.getCommandInvocation(op, site);
      case 'SendCommand':
        return this.ssm.refusal(op, site);
      case 'RunInstances':
        return this.ec2Rules.refusal(op, site.body);
      default:
        return undefined;
    }
  }

  /** Running instances, those of `ids` only when given (moto answers faster when asked for fewer). */
  private async instances(ids?: string[]): Promise<Instance[]> {
    const filters = [{ Name: 'instance-state-name', Values: ['running'] }];
    if (ids) filters.push({ Name: 'instance-id', Values: ids });
    const out = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  private async defaultHostname(instanceId: string): Promise<string> {
    const [instance] = await this.instances([instanceId]);
    return (instance?.PrivateDnsName ?? instanceId).replace(/\.ec2\.internal$/, '.ec2.internal');
  }
}

/** The `<item>…</item>` elements directly inside an XML list (items nest: block devices, interfaces…). */
function topLevelItems(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (const tag of list.matchAll(/<\/?item>/g)) {
    if (tag[0] === '<item>') {
      if (depth === 0) start = tag.index ?? 0;
      depth += 1;
    } else {
      depth -= 1;
      if (depth === 0) items.push(list.slice(start, (tag.index ?? 0) + tag[0].length));
    }
  }
  return items;
}

/** `InstanceId.N` values of an EC2 query-protocol request. */
function instanceIdsOf(body: string): string[] {
  return [...new URLSearchParams(body)].filter(([key]) => key.startsWith('InstanceId.')).map(([, id]) => id);
}

/** The change id in a Route 53 ChangeInfo reply, without its `/change/` prefix. */
/** A Route 53 change ID: `C` and 13 characters of base 32, as Route 53 writes them. */
function newChangeId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `C${[...randomBytes(13)].map((b) => alphabet[b % 32]).join('')}`;
}

function withOwnChangeId(reply: WireResponse): WireResponse {
  const body = reply.body.replace(/<Id>\/change\/[^<]+<\/Id>/, `<Id>/change/${newChangeId()}</Id>`);
  return { ...reply, body };
}

function changeIdOf(body: string): string | undefined {
  return /<Id>(?:\/change\/)?([^<]+)<\/Id>/.exec(body)?.[1];
}

/** The request's headers for moto: those a hop must not pass on left out. */
function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(key)) headers[key] = value;
  }
  return headers;
}

/** moto's reply headers, less those that describe its own transfer (the body is sent again whole). */
function replyHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(key)) out[key] = value;
  });
  return out;
}
