/**
 * Faults the proxy injects, chosen per operation and per call count. The tests and the soak run set
 * them through `POST /_emulator/faults`.
 */
export interface Fault {
  /** The AWS operation, e.g. `RunInstances`, `GetCommandInvocation`, or `*` for all. */
  operation: string;
  /**
   * - `error`: answer with the AWS error `code` instead of the service (or, with `after`, once the
   *   service has done the work: the caller sees a failure for something that happened);
   * - `command-failed`: a SendCommand whose script contains `match` ends `Failed` (or `TimedOut`);
   * - `agent-offline`: the SSM agent never reports Online.
   */
  kind: 'error' | 'command-failed' | 'agent-offline';
  code?: string;
  status?: number;
  message?: string;
  /** Only requests whose body contains this text. */
  match?: string;
  /** Let this many matching calls through before the fault applies. @default 0 */
  skip?: number;
  /** How many matching calls the fault applies to. @default unlimited */
  times?: number;
  after?: boolean;
  commandStatus?: 'Failed' | 'TimedOut';
}

interface ActiveFault extends Fault {
  seen: number;
  applied: number;
}

export class FaultPlan {
  private faults: ActiveFault[] = [];

  set(faults: Fault[]): void {
    this.faults = faults.map((f) => ({ ...f, seen: 0, applied: 0 }));
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault of `kind` that applies to this call, counting the call against it. */
  take(kind: Fault['kind'], operation: string, body: string): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.kind !== kind) continue;
      if (fault.operation !== '*' && fault.operation !== operation) continue;
      if (fault.match && !body.includes(fault.match)) continue;
      fault.seen += 1;
      if (fault.seen <= (fault.skip ?? 0)) continue;
      if (fault.times !== undefined && fault.applied >= fault.times) continue;
      fault.applied += 1;
      return fault;
    }
    return undefined;
  }

  list(): Fault[] {
    return this.faults.map(({ seen: _seen, applied: _applied, ...f }) => f);
  }
}
