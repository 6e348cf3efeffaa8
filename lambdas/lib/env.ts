import { MissingConfiguration } from './errors';

/** A Lambda's required setting. Read at call time so one process can host several handlers locally. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingConfiguration(name);
  return value;
}
