/**
 * The exact commands the Lambdas send, run in a booted Debian guest as in commands.guest.test.ts:
 * a reboot asked for while cloud-init still runs the user data, and the post-boot bootstrap
 * commands, with their outputs read by the real handlers.
 */
import { parseReport, setHostnameScript } from '../../lambdas/lib/commands';
import { handler as waitForBootstrap } from '../../lambdas/wait-for-bootstrap';
import { handler as waitForHostname } from '../../lambdas/wait-for-hostname';
import { asInvocation, bootGuest, IP, reboot, state, until } from './support';

describe('a reboot requested while cloud-init still runs the user data', () => {
  const slow = (last: string) => `#!/bin/sh\necho started > /root/user-data\nsleep 12\n${last}\n`;

  test('set-hostname waits for it: the user data finishes, the reboot comes after', async () => {
    const guest = await bootGuest({ userData: slow('echo finished >> /root/user-data') });
    await until(guest, 'cat /root/user-data 2>/dev/null', /started/);
    const set = await guest.run(setHostnameScript('web1.example.internal', 'web1', IP), 700_000);
    expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining('cloud_init=0\n') });
    await reboot(guest);
    expect((await guest.shell('cat /root/user-data')).stdout).toBe('started\nfinished\n');
  }, 180_000);

  test('user data that ends in error: set-hostname fails, and the handler names it UserDataFailed', async () => {
    const guest = await bootGuest({ userData: slow('echo broken >&2; exit 3') });
    await until(guest, 'cat /root/user-data 2>/dev/null', /started/);
    const set = await guest.run(setHostnameScript('web1.example.internal', 'web1', IP), 700_000);
    expect(set.code).not.toBe(0);
    expect(parseReport(set.stdout).cloudInit).toBe('1');
    // Nothing was renamed: the script stopped before hostnamectl.
    expect((await guest.shell('hostname')).stdout.trim()).toBe('ip-10-0-1-4');
    const mock = asInvocation(set);
    await expect(
      waitForHostname({ state: state('web1.example.internal', 'web1'), slot: 'hostnameResult' }),
    ).rejects.toMatchObject({ name: 'UserDataFailed', message: expect.stringContaining('scripts-user') });
    mock.restore();
  }, 180_000);
});

test('post-boot bootstrap commands run as root by sh; a failing one is BootstrapFailed with its output', async () => {
  const guest = await bootGuest();
  const ok = await guest.run(['set -e', 'echo "serving $(id -un)" > /etc/motd', 'cat /etc/motd']);
  expect(ok).toEqual({ code: 0, stdout: 'serving root\n', stderr: '' });
  let mock = asInvocation(ok);
  expect(
    await waitForBootstrap({ state: state('web1.example.internal', 'web1'), slot: 'bootstrapResult' }),
  ).toMatchObject({
    status: 'DONE',
    commandStatus: 'Success',
    output: 'serving root\n',
  });
  mock.restore();

  const failed = await guest.run(['echo "no such package" >&2', 'exit 3']);
  expect(failed).toMatchObject({ code: 3, stderr: 'no such package\n' });
  mock = asInvocation(failed);
  await expect(
    waitForBootstrap({ state: state('web1.example.internal', 'web1'), slot: 'bootstrapResult' }),
  ).rejects.toMatchObject({ name: 'BootstrapFailed', message: expect.stringContaining('no such package') });
  mock.restore();
}, 120_000);
