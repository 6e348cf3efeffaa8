/**
 * Errors the workflows match on. Each sets `this.name` to a literal: esbuild minifies class names,
 * and Step Functions Retry/Catch match on the name the Lambda runtime reports.
 */

/** The execution input (or the stored defaults) break the contract. The message names the field. */
export class InvalidInput extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidInput';
  }
}

/** No hosted zone of that name in the account. */
export class ZoneNotFound extends Error {
  constructor(zone: string) {
    super(`dnsZone: no hosted zone named ${zone}`);
    this.name = 'ZoneNotFound';
  }
}

/** The name already has a record in the zone, or a live instance already carries it. */
export class HostnameTaken extends Error {
  constructor(fqdn: string, reason: string) {
    super(`hostname: ${fqdn} is taken (${reason})`);
    this.name = 'HostnameTaken';
  }
}

/** Neither a record nor a live instance answers to that name (destroy). */
export class HostNotFound extends Error {
  constructor(what: string) {
    super(`no record and no live instance for ${what}`);
    this.name = 'HostNotFound';
  }
}

/** The instance exists but was not launched by instance-lifecycle; destroy refuses it without `force`. */
export class NotManaged extends Error {
  constructor(instanceId: string, tagKey: string) {
    super(`${instanceId} has no ${tagKey} tag; pass "force": true to destroy it anyway`);
    this.name = 'NotManaged';
  }
}

/** The instance reached a state it cannot come back from while we waited for it to run. */
export class InstanceFailed extends Error {
  constructor(instanceId: string, state: string, reason?: string) {
    super(`${instanceId} is ${state}${reason ? `: ${reason}` : ''}`);
    this.name = 'InstanceFailed';
  }
}

/** A Run Command invocation ended in a status other than Success. */
export class CommandFailed extends Error {
  constructor(commandId: string, status: string, detail: string) {
    super(`command ${commandId} ended ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandFailed';
  }
}

/** cloud-init ended the instance's user data in error, or was still running it at the bound. */
export class UserDataFailed extends Error {
  constructor(instanceId: string, detail: string) {
    super(`the user data of ${instanceId} did not finish: ${detail}`);
    this.name = 'UserDataFailed';
  }
}

/** The instance came back, but not as the reboot should have left it. */
export class RebootNotVerified extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RebootNotVerified';
  }
}

/** Route 53 refused the change (for example the record appeared after validation). */
export class DnsChangeRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsChangeRejected';
  }
}

/** The post-boot bootstrap (commands or document) ended in a status other than Success. */
export class BootstrapFailed extends Error {
  constructor(commandId: string, status: string, detail: string) {
    super(`bootstrap command ${commandId} ended ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'BootstrapFailed';
  }
}

/** A required environment variable of the Lambda is missing: a deployment fault, not an input one. */
export class MissingConfiguration extends Error {
  constructor(variable: string) {
    super(`environment variable ${variable} is not set`);
    this.name = 'MissingConfiguration';
  }
}

/**
 * Errors the state machines raise themselves, in Fail states (lib/poll.ts, lib/create-vm-workflow.ts);
 * the handlers' errors are named by their classes above. The workflows' Catches take every error, so
 * no other name is written down twice.
 */
export const WorkflowErrors = {
  /** A poll ran out of time or checks. */
  pollTimeout: 'PollTimeout',
  /** create-vm's roll-back failed after the create did: what it made may be left. */
  rollBackFailed: 'RollBackFailed',
} as const;

/** Errors that mean "AWS asked us to slow down": retried by Step Functions with backoff and jitter. */
export const THROTTLING_ERRORS = [
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
] as const;
