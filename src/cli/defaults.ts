/** `instance-lifecycle defaults get | set`: the stored defaults, on the deployed stack or on the emulator. */
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULTS_STANDARD_CHARS, defaultsValue, parseDefaults } from '../../lambdas/lib/input';
import { clientConfig } from '../emulator/account';
import { synthesize } from '../engine/synth';
import { loadDeployment } from '../engine/template';
import { UsageError } from './args';
import { DEFAULT_STACK_NAME } from './deployed/aws';
import { clientsFor } from './deployed/commands';
import { deploymentOf } from './deployed/stack';
import type { Io } from './io';
import type { DefaultsOptions } from './program';

/**
 * `key=value` pairs over the stored defaults; `key=` removes a key, `tags.k=v` sets one tag, a
 * value starting with `{` or `[` is JSON.
 */
export function applyDefaults(current: Record<string, unknown>, pairs: string[]): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`${pair}: expected KEY=VALUE`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (key.startsWith('tags.')) {
      const tags = { ...((next.tags as Record<string, string>) ?? {}) };
      if (raw === '') delete tags[key.slice(5)];
      else tags[key.slice(5)] = raw;
      next.tags = tags;
    } else if (raw === '') {
      delete next[key];
    } else if (/^[[{]/.test(raw)) {
      // A JSON value: `bootstrap={"commands":["dnf -y update"]}`.
      try {
        next[key] = JSON.parse(raw);
      } catch (error) {
        throw new UsageError(`${key}: the value looks like JSON but is not: ${(error as Error).message}`);
      }
    } else if (key === 'securityGroupIds' || key === 'subnetIds') {
      next[key] = raw.split(',').map((s) => s.trim());
    } else {
      next[key] = /^\d+$/.test(raw) ? Number(raw) : raw;
    }
  }
  return next;
}

export async function defaultsCommand(
  action: 'get' | 'set',
  pairs: string[],
  v: DefaultsOptions,
  io: Io,
): Promise<number> {
  if (action === 'get' && pairs.length > 0) throw new UsageError('get takes no KEY=VALUE');
  if (action === 'set' && pairs.length === 0) throw new UsageError('set needs at least one KEY=VALUE');
  let ssm: SSMClient;
  let name: string;
  /** What the parameter holds before anyone changed it: the stack's deployment writes it. */
  let seeded: string | undefined;
  if (v.local) {
    if (!v.endpoint)
      throw new UsageError('--local needs --endpoint URL: the emulator whose defaults to read or change');
    ssm = new SSMClient(clientConfig(v.endpoint));
    ({ name, value: seeded } = loadDeployment(synthesize().templatePath).defaults);
  } else {
    const aws = clientsFor(v);
    ssm = aws.ssm;
    const deployment = await deploymentOf(aws, v.stackName ?? DEFAULT_STACK_NAME);
    if (!deployment.defaultsParameter) throw new UsageError('the stack has no DefaultsParameterName output');
    name = deployment.defaultsParameter;
  }
  let stored: string;
  try {
    stored = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? '{}';
  } catch (error) {
    // An emulator no execution has run on yet has no parameter: start from what the stack seeds.
    if ((error as Error).name !== 'ParameterNotFound' || seeded === undefined) throw error;
    stored = seeded;
  }
  const current = JSON.parse(stored) as Record<string, unknown>;
  if (action === 'get') {
    io.out(JSON.stringify(current, null, 2));
    return 0;
  }
  const next = parseDefaults(applyDefaults(current, pairs));
  const value = defaultsValue(next);
  // Standard tier up to 4 KB; beyond, Parameter Store keeps it in the Advanced tier (8 KB at most).
  await ssm.send(
    new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true, Tier: 'Intelligent-Tiering' }),
  );
  io.out(JSON.stringify(next, null, 2));
  io.err(`defaults saved in ${name}; the next create uses them`);
  if (value.length > DEFAULTS_STANDARD_CHARS) {
    io.err(`(${value.length} characters: over the Standard tier's 4 KB, so an Advanced parameter, billed per month)`);
  }
  return 0;
}
