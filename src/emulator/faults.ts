/**
 * Faults the proxy injects, chosen per operation, per step and per call count. The tests and the
 * soak run set them through `proxy.faults.set()` or `POST /_emulator/faults`.
 */
export interface Fault {
  /** The AWS operation, e.g. `RunInstances`, `GetCommandInvocation`, or `*` for all. */
  operation: string;
  /**
   * - `error`: answer with the AWS error `code` instead of the service (or, with `after`, once the
   *   service has done the work: the caller sees a failure for something that happened);
   * - `throttle`: answer with the service's own throttling error (EC2 `RequestLimitExceeded`,
   *   Route 53 `Throttling`, SSM `ThrottlingException`), so one fault can cover every call of a step;
   * - `latency`: answer `delayMs` later than the service would;
   * - `command-failed`: a SendCommand invocation ends `Failed` (or `commandStatus`, e.g. `TimedOut`);
   * - `agent-offline`: the SSM agent does not report Online;
   * - `instance-fails`: RunInstances succeeds, then the instance goes from pending to terminated,
   *   as with an insufficient-capacity launch;
   * - `dns-pending`: GetChange answers PENDING instead of INSYNC;
   * - `user-data-fails`: the instance RunInstances launches ends its user data in error (cloud-init
   *   status: error).
   */
  kind:
    | 'error'
    | 'throttle'
    | 'latency'
    | 'command-failed'
    | 'agent-offline'
    | 'instance-fails'
    | 'dns-pending'
    | 'user-data-fails';
  /**
   * Only calls made by this workflow step (the SDK's user agent names it), e.g. `WaitUntilRebooted`;
   * `*` for calls made by any step, leaving alone those of whoever inspects the emulator.
   */
  step?: string;
  code?: string;
  status?: number;
  message?: string;
  /** Only requests whose body contains this text. */
  match?: string;
  /** Let this many matching calls through before the fault applies. @default 0 */
  skip?: number;
  /** How many matching calls the fault applies to. @default unlimited */
  times?: number;
  /** The share of matching calls the fault applies to, drawn from the plan's seeded generator. @default 1 */
  probability?: number;
  after?: boolean;
  delayMs?: number;
  commandStatus?: 'Failed' | 'TimedOut';
}

/** Where a call comes from, as far as faults care. */
export interface CallSite {
  operation: string;
  step?: string;
  body: string;
}

interface ActiveFault extends Fault {
  seen: number;
  applied: number;
}

/** HTTP status each service answers a code with, when the fault does not say. */
const STATUS_OF: Record<string, number> = {
  RequestLimitExceeded: 503,
  ServiceUnavailable: 503,
  Throttling: 400,
  ThrottlingException: 400,
  PriorRequestNotComplete: 400,
  TooManyRequestsException: 400,
};

/** Each service's own name for "slow down". */
export const THROTTLING_CODE: Record<string, string> = {
  ec2: 'RequestLimitExceeded',
  route53: 'Throttling',
  ssm: 'ThrottlingException',
  states: 'ThrottlingException',
  scheduler: 'ThrottlingException',
};

/** The AWS error code and HTTP status an `error` or `throttle` fault answers a call to `service` with. */
export function errorOf(fault: Fault, service: string): { code: string; status: number } {
  const code = fault.kind === 'throttle' ? (THROTTLING_CODE[service] ?? 'Throttling') : (fault.code ?? 'InternalError');
  return { code, status: fault.status ?? STATUS_OF[code] ?? 500 };
}

/** Mulberry32: a small, seeded generator, so that a soak run with a given seed is repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlan {
  private faults: ActiveFault[] = [];
  private random = seededRandom(1);

  set(faults: Fault[], seed = 1): void {
    for (const fault of faults) {
      if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
        throw new Error(`fault probability must be between 0 and 1, got ${fault.probability}`);
      }
    }
    this.faults = faults.map((f) => ({ ...f, seen: 0, applied: 0 }));
    this.random = seededRandom(seed);
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault of `kind` that applies to this call, counting the call against it. */
  take(kind: Fault['kind'], call: CallSite): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.kind !== kind) continue;
      if (fault.operation !== '*' && fault.operation !== call.operation) continue;
      if (fault.step === '*' ? !call.step : fault.step && fault.step !== call.step) continue;
      if (fault.match && !call.body.includes(fault.match)) continue;
      fault.seen += 1;
      if (fault.seen <= (fault.skip ?? 0)) continue;
      if (fault.times !== undefined && fault.applied >= fault.times) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.applied += 1;
      return fault;
    }
    return undefined;
  }

  /** The faults with how many calls each has seen and been applied to. */
  list(): Array<Fault & { seen: number; applied: number }> {
    return this.faults.map((f) => ({ ...f }));
  }
}
