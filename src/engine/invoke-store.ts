/**
 * The invocation store the Lambda Node.js runtime installs as `globalThis.awslambda.InvokeStore`
 * when invocations run concurrently in one execution environment (AWS_LAMBDA_MAX_CONCURRENCY):
 * an AsyncLocalStorage per invocation. Powertools' Logger keeps an invocation's Lambda context,
 * keys and log level there, so the local engine, which runs every step's handler in its own
 * process and several at once, runs each invocation in it as that runtime does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

type InvocationContext = Record<string | symbol, unknown>;

class ConcurrentInvokeStore extends InvokeStoreBase {
  private readonly als = new AsyncLocalStorage<InvocationContext>();

  getContext(): InvocationContext | undefined {
    return this.als.getStore();
  }

  hasContext(): boolean {
    return this.als.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.als.getStore()?.[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const store = this.als.getStore();
    if (!store) throw new Error('No context available');
    store[key] = value;
  }

  run<T>(context: InvocationContext, fn: () => T): T {
    return this.als.run(context, fn);
  }
}

const store = new ConcurrentInvokeStore();

/**
 * Installs the store (in place of any other: the AWS SDK installs a single-invocation one on its
 * first request when AWS_LAMBDA_MAX_CONCURRENCY is not set) and declares the concurrency.
 */
export function installInvokeStore(): void {
  const global = globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } };
  global.awslambda = global.awslambda ?? {};
  global.awslambda.InvokeStore = store;
  // Its value is the runtime's limit; the local engine has none, and Powertools only asks whether it is set.
  process.env.AWS_LAMBDA_MAX_CONCURRENCY = '1000';
}

/** Runs one invocation in its own context, with its request id as the runtime records it. */
export function runInvocation<T>(requestId: string, fn: () => T): T {
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, fn);
}
