/**
 * The shapes that flow through the state machines. The CDK constructs in lib/ and the handlers
 * import the same names, so a state's result path and the handler reading it cannot drift apart.
 */

export const MANAGED_BY_TAG = 'ManagedBy';
export const MANAGED_BY_VALUE = 'instance-lifecycle';
/** Tag holding the fqdn an instance was created for: destroy by instanceId finds its record through it. */
export const FQDN_TAG = 'lifecycle:fqdn';
/** Tag holding the create execution's id: roll-back finds what that execution launched through it. */
export const EXECUTION_TAG = 'lifecycle:execution';
/** Tag holding a leased host's expiry (UTC, ISO 8601, to the second): an inventory shows it. */
export const EXPIRES_AT_TAG = 'lifecycle:expiresAt';

/** The instance states in which a host still exists (and costs). */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

export type RecordType = 'CNAME' | 'A';

/** Post-boot bootstrap: the operator's shell commands, or an SSM document the deployment allows. */
export type Bootstrap =
  | { readonly commands: string[]; readonly timeoutSeconds?: number }
  | { readonly document: string; readonly parameters: Record<string, string[]>; readonly timeoutSeconds?: number };

/** Everything ValidateInput resolves: execution input over stored defaults over built-in defaults. */
export interface CreateConfig {
  readonly hostname: string;
  readonly dnsZone: string;
  readonly fqdn: string;
  readonly zoneId: string;
  readonly privateZone: boolean;
  readonly imageId: string;
  readonly rootDeviceName: string;
  /** The image's own root volume size (GiB): the root mapping re-states it to set encryption. */
  readonly rootVolumeSize?: number;
  readonly instanceType: string;
  readonly subnetId?: string;
  readonly keyName?: string;
  readonly securityGroupIds?: string[];
  readonly tags: Record<string, string>;
  readonly recordType: RecordType;
  readonly ttl: number;
  readonly pollIntervalSeconds: number;
  readonly adminUser?: string;
  readonly sshPublicKey?: string;
  readonly bootstrap?: Bootstrap;
  /** When a lease destroys the host (UTC, to the second), or null: no lease. */
  readonly expiresAt: string | null;
  /** Idempotency token for RunInstances, derived from the execution: a retry never launches twice. */
  readonly clientToken: string;
  readonly executionId: string;
  /** Which fields were filled in from the stored or built-in defaults. */
  readonly fromDefaults: string[];
}

/** What every poll check returns; the poll fragment's Choice reads `status` and `attempt`. */
export interface PollResult {
  readonly status: 'WAITING' | 'DONE';
  readonly attempt: number;
  /** Seconds the poll waits before the next check. */
  readonly waitSeconds: number;
  /** When the loop's first check ran. */
  readonly startedAt: string;
  /** Seconds since the loop's first check: the poll's Choice ends the loop at its bound. */
  readonly elapsedSeconds: number;
}

/**
 * The event a poll check receives: the whole state, the key its own previous result sits under,
 * the operator's seconds between checks, and what the poll fragment adds for this check.
 */
export interface PollEvent<S> {
  readonly state: S;
  readonly slot: string;
  readonly interval?: number;
  /** The loop's time bound, from its first check: no wait goes past it. */
  readonly maxSeconds?: number;
  /** WaitUntilRebooted: the seconds a probe command usually takes. */
  readonly commandSeconds?: number;
}

export interface LaunchResult {
  readonly instanceId: string;
  readonly launchedAt: string;
  /** The lease's schedule (in the deployment's lease group), when the host has a lease. */
  readonly leaseSchedule?: string;
}

export interface RunningResult extends PollResult {
  readonly state?: string;
  readonly privateIp?: string;
  readonly privateDnsName?: string;
  readonly at?: string;
}

export interface ManagedResult extends PollResult {
  readonly pingStatus?: string;
  readonly platform?: string;
  readonly at?: string;
}

export interface DnsChange {
  readonly changeId: string;
  readonly zoneId: string;
  readonly name: string;
  readonly type: RecordType;
  readonly value: string;
  readonly ttl: number;
}

export interface DnsSyncResult extends PollResult {
  readonly changeStatus?: string;
  readonly at?: string;
}

export interface CommandStarted {
  readonly commandId: string;
  readonly instanceId: string;
}

export interface HostnameResult extends PollResult {
  readonly commandStatus?: string;
  /** Boot id read by the set-hostname script: the reboot must change it. */
  readonly bootId?: string;
  readonly at?: string;
}

export interface RebootRequested {
  readonly requestedAt: string;
}

export interface RebootedResult extends PollResult {
  /** A probe command in flight: its output carries the boot id and `hostname -f`. */
  readonly probeCommandId?: string;
  readonly bootId?: string;
  /** What the hostname resolves to, as `hostname -f` answers. */
  readonly fqdn?: string;
  /** /etc/hostname: the FQDN, or the short name when the FQDN is longer than Linux keeps. */
  readonly staticHostname?: string;
  readonly at?: string;
}

export interface BootstrapResult extends PollResult {
  readonly commandId?: string;
  /** Success, Failed, TimedOut…, or None when the execution asked for no bootstrap. */
  readonly commandStatus?: string;
  /** The last 2,000 characters of its (last step's) output and error output. */
  readonly output?: string;
  readonly errorOutput?: string;
  /** Every step of the document: its name, status, and the tail of its output. */
  readonly steps?: ReadonlyArray<{ name: string; status: string; output: string; errorOutput: string }>;
  readonly at?: string;
}

/** The create state machine's state, growing one key per step. */
export interface CreateState {
  readonly config: CreateConfig;
  readonly instance?: LaunchResult;
  readonly running?: RunningResult;
  readonly managed?: ManagedResult;
  readonly dns?: DnsChange;
  readonly dnsSync?: DnsSyncResult;
  readonly hostnameCommand?: CommandStarted;
  readonly hostnameResult?: HostnameResult;
  readonly reboot?: RebootRequested;
  readonly rebooted?: RebootedResult;
  readonly bootstrapCommand?: CommandStarted;
  readonly bootstrapResult?: BootstrapResult;
}

/** Destroy: what ResolveHost found. */
export interface DestroyTarget {
  readonly fqdn?: string;
  readonly zoneId?: string;
  readonly instanceId?: string;
  readonly instanceState?: string;
  readonly record?: {
    readonly name: string;
    readonly type: RecordType;
    readonly ttl: number;
    readonly values: string[];
  };
  readonly pollIntervalSeconds: number;
  readonly force: boolean;
  /** The destroy execution, for the logs of the steps after ResolveHost. */
  readonly executionId: string;
}

export interface TerminatedResult extends PollResult {
  readonly state?: string;
  readonly at?: string;
}

export interface DestroyState {
  readonly target: DestroyTarget;
  readonly termination?: {
    readonly instanceId: string;
    readonly previousState: string;
    readonly leaseDeleted: boolean;
  };
  readonly terminated?: TerminatedResult;
  readonly removal?: { readonly changeId: string };
  readonly dnsSync?: DnsSyncResult;
}

/** Where a Step Functions Catch puts the error it caught. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}
