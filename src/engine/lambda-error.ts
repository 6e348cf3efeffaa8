/**
 * A handler's error as the Node.js Lambda runtime reports it, and so as Step Functions sees it: the
 * error is named after `errorType` and its cause is the runtime's JSON document
 * (`{"errorType","errorMessage","trace"}`). Both local engines report Lambda failures this way, so
 * a cause reads the same locally and on AWS.
 */
export interface RuntimeError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export function runtimeError(error: unknown): RuntimeError {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** The error a Task state fails with when its Lambda throws `error`. */
export function taskError(error: unknown): Error {
  const payload = runtimeError(error);
  return Object.assign(new Error(JSON.stringify(payload)), { name: payload.errorType });
}
