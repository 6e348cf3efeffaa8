/**
 * Step Functions' payload limit: "256 KiB of data as a UTF-8 encoded string" for a task's input or
 * result, a state's input or output, and an execution's input. Past it an execution fails with
 * States.DataLimitExceeded, which no Catch can catch (States.ALL included). The local engine
 * enforces it as AWS does, and reports the largest payload a run carried.
 */
export const PAYLOAD_LIMIT_BYTES = 262_144;

export function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** The largest payload seen, and where. */
export interface LargestPayload {
  state: string;
  bytes: number;
}

/** AWS's terminal error for a payload over the limit: neither retried nor caught. */
export function dataLimitExceeded(where: string, bytes: number): Error {
  return Object.assign(
    new Error(
      `The state/task '${where}' returned a result with a size exceeding the maximum number of bytes service limit (${bytes} > ${PAYLOAD_LIMIT_BYTES}).`,
    ),
    { name: 'States.DataLimitExceeded', isCatchable: false, isRetryable: false },
  );
}
