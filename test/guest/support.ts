/**
 * Real guests for the guest suite (npm run test:guest): each test boots a fresh one from the cached
 * image (the image itself is built by scripts/test-guest.ts before jest starts), and every guest
 * a test booted is stopped and removed after it, passed or not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetCommandInvocationCommand, ListCommandInvocationsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { CreateState } from '../../lambdas/lib/contract';
import { ContainerGuest, type ContainerGuestOptions, type ExecResult } from '../../src/emulator/container-guest';
import { imageDir } from '../../src/emulator/guest-image';

const booted: ContainerGuest[] = [];
let serial = 0;

export async function bootGuest(
  options: Partial<Pick<ContainerGuestOptions, 'userData' | 'hasHostnameBinary' | 'localHostname'>> = {},
): Promise<ContainerGuest> {
  serial += 1;
  const name = `lc-test-${process.pid}-${serial}`;
  const guest = new ContainerGuest({
    image: imageDir(),
    workDir: path.join(mkdtempSync(path.join(tmpdir(), 'lifecycle-guest-')), name),
    name,
    instanceId: `i-${(process.pid * 1000 + serial).toString(16).padStart(17, '0')}`,
    localHostname: options.localHostname ?? 'ip-10-0-1-4',
    ...options,
  });
  booted.push(guest);
  await guest.start();
  return guest;
}

afterEach(async () => {
  await Promise.all(booted.splice(0).map((g) => g.stop()));
});

/** Polls `probe` in the guest until it prints `expected` (a boot's units take a few seconds). */
export async function until(
  guest: ContainerGuest,
  probe: string,
  expected: RegExp,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await guest.shell(probe).catch(() => ({ stdout: '' }) as ExecResult);
    if (expected.test(out.stdout)) return out.stdout;
    if (Date.now() > deadline)
      throw new Error(`${guest.options.name}: ${probe} never printed ${expected}: ${out.stdout}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Reboots the guest and waits until systemd and cloud-init are done with the new boot. */
export async function reboot(guest: ContainerGuest): Promise<void> {
  const boots = guest.boots;
  await guest.reboot();
  await guest.waitUntilUp(boots + 1);
  await until(guest, 'cloud-init status --wait >/dev/null 2>&1; cloud-init status', /status: (done|error)/);
}

/**
 * A guest's command result as SSM reports it to the handlers (one step: AWS-RunShellScript), so a
 * real output can be handed to the real handler that reads it.
 */
export function asInvocation(result: ExecResult) {
  const ssm = mockClient(SSMClient);
  const Status = result.code === 0 ? 'Success' : 'Failed';
  ssm.on(GetCommandInvocationCommand).resolves({
    Status,
    ResponseCode: result.code,
    StandardOutputContent: result.stdout,
    StandardErrorContent: result.stderr,
  });
  ssm.on(ListCommandInvocationsCommand).resolves({
    CommandInvocations: [
      { Status, CommandPlugins: [{ Name: 'aws:runShellScript', Status, Output: result.stdout.slice(0, 2500) }] },
    ],
  });
  return ssm;
}

/** The private IP the guests' commands are given, as EC2 would. */
export const IP = '10.0.1.4';

/** A config as ValidateInput would hand it on, for the handlers that read a command's result. */
export function state(fqdn: string, hostname: string): CreateState {
  return {
    config: { fqdn, hostname } as CreateState['config'],
    instance: { instanceId: 'i-0123456789abcdef0', launchedAt: '' },
    hostnameCommand: { commandId: 'set-1', instanceId: 'i-0123456789abcdef0' },
    bootstrapCommand: { commandId: 'boot-1', instanceId: 'i-0123456789abcdef0' },
  };
}
