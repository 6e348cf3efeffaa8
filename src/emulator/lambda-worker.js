// A warm Lambda execution environment of the emulator (src/emulator/lambda.ts): a worker thread that
// runs one invocation at a time, of any function. Each invocation brings the function's code and
// environment variables: the variables are set first, and the code is loaded once (under them).
// What the handler writes to stdout and stderr during an invocation is its log, returned with the result.
const { parentPort } = require('node:worker_threads');
const path = require('node:path');

/** Loaded handlers, by the function's name and code digest. */
const handlers = new Map();

let lines = null;
// Lambda keeps what a function writes to stdout and to stderr (console.warn and console.error).
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    if (lines === null) return write(chunk, ...rest);
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
}

/** The error as the Node.js runtime reports it: errorType, errorMessage, trace. */
function runtimeError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: String(error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** This invocation's environment variables, and only them. */
function setVariables(variables) {
  for (const key of Object.keys(process.env)) if (!(key in variables)) delete process.env[key];
  Object.assign(process.env, variables);
}

/** Which function each code file was loaded for: two functions with the same code load it twice. */
const loadedFor = new Map();

function handlerOf(code) {
  if (!handlers.has(code.key)) {
    const [file, exported] = code.handler.split('.');
    const modulePath = path.join(code.dir, `${file}.js`);
    if (loadedFor.has(modulePath) && loadedFor.get(modulePath) !== code.key) delete require.cache[modulePath];
    loadedFor.set(modulePath, code.key);
    const handler = require(modulePath)[exported];
    if (typeof handler !== 'function') throw new Error(`${code.handler} is not a function`);
    handlers.set(code.key, handler);
  }
  return handlers.get(code.key);
}

parentPort.on('message', async ({ id, code, variables, event, context }) => {
  lines = [];
  try {
    setVariables(variables);
    const result = await handlerOf(code)(event, context);
    parentPort.postMessage({ id, ok: true, result, logs: lines });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: runtimeError(error), logs: lines });
  } finally {
    lines = null;
  }
});
