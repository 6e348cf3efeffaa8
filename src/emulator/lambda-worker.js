// One warm Lambda execution environment of the emulator (src/emulator/lambda.ts): a worker thread
// with the function's own environment variables, its code loaded once, one invocation at a time.
// What the handler writes to stdout during an invocation is its log, returned with the result.
const { parentPort, workerData } = require('node:worker_threads');
const path = require('node:path');

const [file, exported] = workerData.handler.split('.');
const handler = require(path.join(workerData.codeDir, `${file}.js`))[exported];

let lines = null;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (lines === null) return write(chunk, ...rest);
  lines.push(...String(chunk).split('\n').filter(Boolean));
  return true;
};

/** The error as the Node.js runtime reports it: errorType, errorMessage, trace. */
function runtimeError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: String(error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

parentPort.on('message', async ({ id, event, context }) => {
  lines = [];
  try {
    if (typeof handler !== 'function') throw new Error(`${workerData.handler} is not a function`);
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result, logs: lines });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: runtimeError(error), logs: lines });
  } finally {
    lines = null;
  }
});
