import { startMoto } from './moto';
import { EmulatorProxy, type ProxyOptions } from './proxy';

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
}

/**
 * moto_server behind the project's proxy, on loopback, seeded with a VPC, its subnets and the zones;
 * with `guests: 'container'`, the guest image ready (built the first time).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const moto = await startMoto();
  const proxy = new EmulatorProxy({ ...options, motoUrl: moto.url });
  try {
    await proxy.containers?.prepare(options.progress);
    const url = await proxy.listen(options.port ?? 0);
    for (const zone of options.zones ?? []) await proxy.seedZone(zone);
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
