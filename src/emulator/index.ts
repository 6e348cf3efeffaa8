import { freePort, type MotoServer, startMoto } from './moto';
import { EmulatorProxy, type LoadedStack, type ProxyOptions } from './proxy';
import { enableStepFunctionsEngine } from './stepfunctions';

export type { Fault } from './faults';
export { EmulatorProxy } from './proxy';

export interface Emulator {
  /** The AWS_ENDPOINT_URL that reaches it. */
  url: string;
  proxy: EmulatorProxy;
  stop(): Promise<void>;
}

export interface EmulatorOptions extends Omit<ProxyOptions, 'motoUrl'> {
  /** Proxy port. @default a free one */
  port?: number;
  zones?: string[];
  /** Where to report long work (building the guest image). */
  progress?: (line: string) => void;
  /** A stack to deploy into the emulator, for the Step Functions API to run. */
  stack?: LoadedStack;
  /**
   * moto_server, already starting with `callbackPort` = `port` (see `startMoto`): a command starts
   * it first thing and loads this module meanwhile. @default started here
   */
  moto?: Promise<MotoServer>;
}

/**
 * moto_server behind the project's proxy, on loopback, seeded with a VPC, its subnets and the zones;
 * with `guests: 'container'`, the guest image ready (built the first time).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  // moto's Step Functions engine calls back on the proxy's port, so the port is chosen first.
  const port = options.port || (await freePort());
  if (options.moto && !options.port) throw new Error('a moto_server started ahead needs the port it calls back on');
  const moto = await (options.moto ?? startMoto({ callbackPort: port, timings: options.timings ?? 'fast' }));
  await enableStepFunctionsEngine(moto.url);
  const proxy = new EmulatorProxy({ ...options, motoUrl: moto.url });
  try {
    await proxy.containers?.prepare(options.progress);
    const url = await proxy.listen(port);
    for (const zone of options.zones ?? []) await proxy.seedZone(zone);
    if (options.stack) await proxy.loadStack(options.stack);
    return {
      url,
      proxy,
      stop: async () => {
        await proxy.close();
        await moto.stop();
      },
    };
  } catch (error) {
    await proxy.close();
    await moto.stop();
    throw error;
  }
}
