/**
 * The exact commands the Lambdas send, from the same functions the handlers call, run in a booted
 * Debian guest (systemd 252, cloud-init 22.4) the way AWS-RunShellScript runs them, with real
 * reboots; the outputs go to the real handlers that read them. Naming the host: set-hostname, the
 * reboot, the probe. cloud-init.guest.test.ts has the user data still running, and bootstrap.
 */
import { parseReport, probeScript, setHostnameScript } from '../../lambdas/lib/commands';
import { parseCreateRequest } from '../../lambdas/lib/input';
import { handler as waitForHostname } from '../../lambdas/wait-for-hostname';
import { asInvocation, bootGuest, IP, reboot, state } from './support';

test('set-hostname, a real reboot, then the probe: new boot id, the FQDN, the static hostname, cloud-init honouring the drop-in', async () => {
  const guest = await bootGuest();
  const fqdn = 'web1.example.internal';
  const set = await guest.run(setHostnameScript(fqdn, 'web1', IP), 700_000);
  expect(set).toMatchObject({ code: 0 });
  const before = parseReport(set.stdout);
  expect(before).toMatchObject({ cloudInit: '0', staticHostname: fqdn, fqdn });
  // The handler that reads this output keeps the boot id the reboot must change.
  const mock = asInvocation(set);
  expect(await waitForHostname({ state: state(fqdn, 'web1'), slot: 'hostnameResult' })).toMatchObject({
    status: 'DONE',
    bootId: before.bootId,
  });
  mock.restore();

  await reboot(guest);
  const after = parseReport((await guest.run(probeScript())).stdout);
  expect(after).toEqual({ bootId: expect.any(String), staticHostname: fqdn, fqdn });
  expect(after.bootId).not.toBe(before.bootId);
  // cloud-init ran its per-boot modules again: with preserve_hostname it left name and hosts alone.
  const rerun = await guest.shell(
    'cloud-init single --name update_hostname --frequency always >/dev/null 2>&1; cloud-init single --name update_etc_hosts --frequency always >/dev/null 2>&1; hostname; grep -c "# instance-lifecycle$" /etc/hosts',
  );
  expect(rerun.stdout).toBe(`${fqdn}\n1\n`);
  expect((await guest.run(probeScript())).stdout).toContain(`fqdn=${fqdn}\n`);
}, 180_000);

test('set-hostname twice leaves one /etc/hosts line', async () => {
  const guest = await bootGuest();
  for (let i = 0; i < 2; i++) {
    expect(await guest.run(setHostnameScript('web1.example.internal', 'web1', IP), 700_000)).toMatchObject({ code: 0 });
  }
  const hosts = await guest.shell('grep "# instance-lifecycle$" /etc/hosts');
  expect(hosts.stdout).toBe(`${IP} web1.example.internal web1 # instance-lifecycle\n`);
}, 120_000);

test('the longest FQDN the contract accepts (253) survives a reboot; one past it is refused before anything runs', async () => {
  const hostname = 'h'.repeat(63);
  const zone = `${['a', 'b', 'c'].map((c) => c.repeat(61)).join('.')}.internal`.slice(0, 253 - 64);
  const fqdn = `${hostname}.${zone}`;
  expect(fqdn.length).toBe(253);
  expect(() => parseCreateRequest({ hostname, dnsZone: zone })).not.toThrow();
  expect(() => parseCreateRequest({ hostname, dnsZone: `x${zone}` })).toThrow(
    /^hostname: .* is longer than 253 characters/,
  );

  const guest = await bootGuest();
  expect(await guest.run(setHostnameScript(fqdn, hostname, IP), 700_000)).toMatchObject({ code: 0 });
  await reboot(guest);
  // Linux keeps 64 characters of a hostname: the short name is the static one, /etc/hosts gives the FQDN.
  expect(parseReport((await guest.run(probeScript())).stdout)).toMatchObject({ staticHostname: hostname, fqdn });
  expect((await guest.shell('hostname -f')).stdout.trim()).toBe(fqdn);
}, 180_000);

test('an FQDN of 73 characters: systemd would truncate it as static hostname, so the short name is set', async () => {
  const fqdn = `${'a'.repeat(20)}.${'z'.repeat(43)}.internal`;
  const guest = await bootGuest();
  expect(await guest.run(setHostnameScript(fqdn, 'a'.repeat(20), IP), 700_000)).toMatchObject({ code: 0 });
  await reboot(guest);
  expect(parseReport((await guest.run(probeScript())).stdout)).toMatchObject({ staticHostname: 'a'.repeat(20), fqdn });
}, 180_000);

test('an image without the hostname binary is named and probed all the same', async () => {
  const guest = await bootGuest({ hasHostnameBinary: false });
  expect((await guest.shell('command -v hostname || echo none')).stdout.trim()).toBe('none');
  const fqdn = 'web1.example.internal';
  expect(await guest.run(setHostnameScript(fqdn, 'web1', IP), 700_000)).toMatchObject({ code: 0 });
  await reboot(guest);
  expect(parseReport((await guest.run(probeScript())).stdout)).toMatchObject({ staticHostname: fqdn, fqdn });
}, 180_000);
