/**
 * The emulator publishes Step Functions' execution status changes by looking at moto's executions.
 * It looks only once a state machine can exist: a look loads moto's Step Functions engine, most of
 * a second of its one Python thread, which a local create (its workflow runs in this process) never
 * needs.
 */
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmulatorProxy } from '../src/emulator/proxy';

/** A stand-in for moto that answers every call with `{}` and records each one's operation. */
class FakeMoto {
  readonly calls: string[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const target = req.headers['x-amz-target'];
        const action = new URLSearchParams(Buffer.concat(chunks).toString()).get('Action');
        this.calls.push(String(target ?? action ?? `${req.method} ${req.url}`));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  looks(): number {
    return this.calls.filter((call) => call === 'AWSStepFunctions.ListStateMachines').length;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

const moto = new FakeMoto();
let proxy: EmulatorProxy;
let url: string;

beforeEach(async () => {
  moto.calls.length = 0;
  proxy = new EmulatorProxy({ motoUrl: await moto.start() });
  url = await proxy.listen(0);
});

afterEach(async () => {
  await proxy.close();
  await moto.stop();
});

/** One call through the emulator, as an SDK makes it (only the parts the emulator reads). */
function call(service: string, headers: Record<string, string>, body: string): Promise<Response> {
  const authorization = `AWS4-HMAC-SHA256 Credential=emulator/20261128/us-east-1/${service}/aws4_request`;
  return fetch(url, {
    method: 'POST',
    headers: { authorization, ...headers },
    body,
  });
}

test("EC2's calls do not make the emulator look at Step Functions; CreateStateMachine does", async () => {
  await call(
    'ec2',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'Action=DescribeInstances&Version=2016-11-15',
  );
  // The look runs every 250 ms.
  await sleep(700);
  expect(moto.calls).toContain('DescribeInstances');
  expect(moto.looks()).toBe(0);
  // Nothing can be running: settled at once.
  await proxy.statusChanges.settled(1000);

  await call(
    'states',
    { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.CreateStateMachine' },
    JSON.stringify({ name: 'm', definition: '{}', roleArn: 'arn:aws:iam::123456789012:role/r' }),
  );
  await sleep(700);
  expect(moto.looks()).toBeGreaterThan(0);
});

test('a reset forgets the state machines, and the looks stop until one can exist again', async () => {
  await call(
    'states',
    { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListStateMachines' },
    '{}',
  );
  await sleep(400);
  expect(moto.looks()).toBeGreaterThan(1);
  await proxy.reset();
  const before = moto.looks();
  await sleep(700);
  expect(moto.looks()).toBe(before);
});
