import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { type Fault, FaultPlan } from './faults';
import { Guests, type Invocation } from './guests';
import { errorResponse, type Operation, operationOf, type WireResponse } from './protocol';
import { clientConfig, ensureZone } from './seed';

export interface ProxyOptions {
  motoUrl: string;
  /** DescribeInstanceInformation calls that answer ConnectionLost after a reboot. @default 2 */
  rebootOfflinePolls?: number;
}

export interface SentCommand {
  commandId: string;
  instanceIds: string[];
  commands: string[];
}

/**
 * The project's emulator front: forwards every AWS call to moto, except what moto lacks or gets
 * wrong for this product: the SSM agent's status, the output of the project's scripts, RunInstances
 * idempotency by ClientToken, and injected faults. `/_emulator/*` is its control API.
 */
export class EmulatorProxy {
  readonly faults = new FaultPlan();
  readonly guests = new Guests();
  readonly invocations = new Map<string, Invocation>();
  readonly commands: SentCommand[] = [];
  readonly calls = new Map<string, number>();
  private readonly launches = new Map<string, WireResponse>();
  private readonly zones = new Set<string>();
  private readonly ec2: EC2Client;
  private readonly rebootOfflinePolls: number;
  private server?: Server;

  constructor(private readonly options: ProxyOptions) {
    this.ec2 = new EC2Client(clientConfig(options.motoUrl));
    this.rebootOfflinePolls = options.rebootOfflinePolls ?? 2;
  }

  listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator proxy error: ${error.stack ?? error.message}`);
      });
    });
    return new Promise((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => {
        const address = this.server?.address();
        resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  async seedZone(name: string): Promise<string> {
    this.zones.add(name);
    return ensureZone(this.options.motoUrl, name);
  }

  /** Clears moto and the proxy's own state; the zones seeded so far are seeded again. */
  async reset(): Promise<void> {
    await fetch(`${this.options.motoUrl}/moto-api/reset`, { method: 'POST' });
    this.faults.clear();
    this.guests.clear();
    this.invocations.clear();
    this.commands.length = 0;
    this.calls.clear();
    this.launches.clear();
    for (const zone of this.zones) await ensureZone(this.options.motoUrl, zone);
  }

  state() {
    return {
      guests: this.guests.all(),
      commands: this.commands,
      invocations: [...this.invocations.values()],
      calls: Object.fromEntries(this.calls),
      faults: this.faults.list(),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    if (path.startsWith('/_emulator/')) return this.control(req.method ?? 'GET', path, body, res);

    const op = operationOf(req.method ?? 'GET', path, req.headers, body);
    this.calls.set(op.name, (this.calls.get(op.name) ?? 0) + 1);
    const reply = await this.answer(op, req, path, body);
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  private async answer(op: Operation, req: IncomingMessage, path: string, body: string): Promise<WireResponse> {
    const before = this.faults.take('error', op.name, body);
    if (before && !before.after) return this.injected(op, before);

    let reply: WireResponse;
    if (op.name === 'DescribeInstanceInformation') reply = await this.describeInstanceInformation(body);
    else if (op.name === 'RunInstances') reply = await this.runInstances(req, path, body);
    else {
      reply = await this.forward(req, path, body);
      if (reply.status === 200) await this.observe(op, body, reply);
    }
    if (before?.after) return this.injected(op, before);
    return reply;
  }

  private injected(op: Operation, fault: Fault): WireResponse {
    const code = fault.code ?? 'InternalError';
    return errorResponse(
      op,
      code,
      fault.message ?? `injected ${code}`,
      fault.status ?? (/Throttl|Limit/.test(code) ? 400 : 500),
    );
  }

  private async forward(req: IncomingMessage, path: string, body: string): Promise<WireResponse> {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(key)) headers[key] = value;
    }
    const method = req.method ?? 'GET';
    const res = await fetch(`${this.options.motoUrl}${path}`, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    });
    const out: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(key)) out[key] = value;
    });
    return { status: res.status, headers: out, body: await res.text() };
  }

  /** RunInstances with a ClientToken already used returns the first launch, as EC2 does. */
  private async runInstances(req: IncomingMessage, path: string, body: string): Promise<WireResponse> {
    const token = new URLSearchParams(body).get('ClientToken');
    const earlier = token ? this.launches.get(token) : undefined;
    if (earlier) return earlier;
    const reply = await this.forward(req, path, body);
    if (token && reply.status === 200) this.launches.set(token, reply);
    return reply;
  }

  /** Side effects moto cannot model: reboots, and what the project's scripts do inside the guest. */
  private async observe(op: Operation, body: string, reply: WireResponse): Promise<void> {
    if (op.name === 'RebootInstances') {
      for (const [key, id] of new URLSearchParams(body)) {
        if (key.startsWith('InstanceId.')) this.guests.reboot(id, this.rebootOfflinePolls);
      }
    } else if (op.name === 'SendCommand') {
      await this.sendCommand(body, reply);
    } else if (op.name === 'GetCommandInvocation') {
      const request = JSON.parse(body) as { CommandId: string; InstanceId: string };
      const invocation = this.invocations.get(`${request.CommandId}/${request.InstanceId}`);
      if (!invocation) return;
      const payload = JSON.parse(reply.body) as Record<string, unknown>;
      Object.assign(payload, {
        Status: invocation.status,
        StatusDetails: invocation.status,
        ResponseCode: invocation.status === 'Success' ? 0 : 1,
        StandardOutputContent: invocation.stdout,
        StandardErrorContent: invocation.stderr,
      });
      reply.body = JSON.stringify(payload);
    }
  }

  private async sendCommand(body: string, reply: WireResponse): Promise<void> {
    const request = JSON.parse(body) as { InstanceIds?: string[]; Parameters?: { commands?: string[] } };
    const commandId = (JSON.parse(reply.body) as { Command?: { CommandId?: string } }).Command?.CommandId ?? '';
    const commands = request.Parameters?.commands ?? [];
    const instanceIds = request.InstanceIds ?? [];
    this.commands.push({ commandId, instanceIds, commands });
    for (const instanceId of instanceIds) {
      const guest = this.guests.get(instanceId, await this.defaultHostname(instanceId));
      const failure = this.faults.take('command-failed', 'SendCommand', body);
      let invocation: Invocation;
      if (failure) {
        invocation = {
          commandId,
          instanceId,
          status: failure.commandStatus ?? 'Failed',
          stdout: '',
          stderr: failure.message ?? 'injected command failure',
        };
      } else if (guest.offlinePolls > 0) {
        invocation = { commandId, instanceId, status: 'Failed', stdout: '', stderr: 'the instance is rebooting' };
      } else {
        invocation = { commandId, instanceId, status: 'Success', stderr: '', ...this.guests.run(guest, commands) };
      }
      this.invocations.set(`${commandId}/${instanceId}`, invocation);
    }
  }

  private async instances(ids?: string[]): Promise<Instance[]> {
    const out = await this.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }),
    );
    const all = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    return ids ? all.filter((i) => ids.includes(i.InstanceId ?? '')) : all;
  }

  private async defaultHostname(instanceId: string): Promise<string> {
    const [instance] = await this.instances([instanceId]);
    return (instance?.PrivateDnsName ?? instanceId).replace(/\.ec2\.internal$/, '.ec2.internal');
  }

  /** The SSM agent of every running instance: Online, except while rebooting or when a fault says never. */
  private async describeInstanceInformation(body: string): Promise<WireResponse> {
    const request = JSON.parse(body || '{}') as { Filters?: { Key: string; Values: string[] }[] };
    const ids = request.Filters?.find((f) => f.Key === 'InstanceIds')?.Values;
    const list = [];
    for (const instance of await this.instances(ids)) {
      const instanceId = instance.InstanceId ?? '';
      if (this.faults.take('agent-offline', 'DescribeInstanceInformation', instanceId)) continue;
      const guest = this.guests.get(instanceId, instance.PrivateDnsName ?? instanceId);
      let pingStatus = 'Online';
      if (guest.offlinePolls > 0) {
        guest.offlinePolls -= 1;
        pingStatus = 'ConnectionLost';
      }
      list.push({
        InstanceId: instanceId,
        PingStatus: pingStatus,
        LastPingDateTime: Date.now() / 1000,
        AgentVersion: '3.3.0.0',
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: 'EC2Instance',
        IPAddress: instance.PrivateIpAddress,
        ComputerName: guest.hostname,
      });
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ InstanceInformationList: list }),
    };
  }

  private async control(method: string, path: string, body: string, res: ServerResponse): Promise<void> {
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const route = `${method} ${path.replace(/\?.*$/, '')}`;
    switch (route) {
      case 'GET /_emulator/health':
        return send(200, { ok: true });
      case 'GET /_emulator/state':
        return send(200, this.state());
      case 'POST /_emulator/faults':
        this.faults.set(JSON.parse(body || '[]') as Fault[]);
        return send(200, this.faults.list());
      case 'DELETE /_emulator/faults':
        this.faults.clear();
        return send(200, []);
      case 'POST /_emulator/reset':
        await this.reset();
        return send(200, { ok: true });
      case 'POST /_emulator/zones': {
        const { name } = JSON.parse(body) as { name: string };
        return send(200, { name, zoneId: await this.seedZone(name) });
      }
      default:
        return send(404, { error: `no emulator route ${route}` });
    }
  }
}
