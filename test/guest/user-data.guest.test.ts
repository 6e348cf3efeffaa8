/**
 * userdata/bootstrap.sh, rendered as LaunchInstance renders it, given to a booted Debian guest
 * through cloud-init's NoCloud data source at first boot. The guest has no AWS around it: the
 * image's stand-in curl answers the instance metadata and hands over a stub SSM agent package for
 * the download (src/emulator/guest-image.ts); which branch the script chose, and the URL it
 * asked for, are what is checked of the agent.
 */
import { renderUserData } from '../../lambdas/lib/user-data';
import { bootGuest, until } from './support';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7f9K7wq0e8c8L1y8b2v5w0Xk0c1cJ2m2g3h4j5k6l ops@laptop';
const rendered = (user?: string, key?: string) => Buffer.from(renderUserData(user, key), 'base64').toString('utf8');

test('an admin user with the key, mode 600, a valid sudoers file, and the SSM agent installed the Debian way', async () => {
  const guest = await bootGuest({ userData: rendered('ops', KEY) });
  expect(await until(guest, 'cloud-init status --wait >/dev/null 2>&1; cloud-init status', /status: /)).toBe(
    'status: done\n',
  );
  const user = await guest.shell(
    'id -un ops; stat -c "%a %U:%G" /home/ops/.ssh /home/ops/.ssh/authorized_keys; cat /home/ops/.ssh/authorized_keys',
  );
  expect(user.stdout).toBe(`ops\n700 ops:ops\n600 ops:ops\n${KEY}\n`);
  const sudoers = await guest.shell(
    'visudo -c -f /etc/sudoers.d/90-instance-lifecycle-ops && sudo -l -U ops | tail -1',
  );
  expect(sudoers).toMatchObject({ code: 0, stdout: expect.stringMatching(/parsed OK[\s\S]*\(ALL\) NOPASSWD: ALL\n$/) });
  // Debian has neither the agent, snap nor dnf: the script's apt branch, with the region from IMDS.
  const agent = await guest.shell(
    `systemctl is-active amazon-ssm-agent; dpkg-query -W -f '\${Version}\\n' amazon-ssm-agent; cat /var/log/instance-lifecycle-curl.log; dpkg --print-architecture`,
  );
  const [active, version, ...rest] = agent.stdout.trim().split('\n');
  const arch = rest.pop();
  expect({ active, version }).toEqual({ active: 'active', version: '0.0-instance-lifecycle-stub' });
  expect(rest).toEqual([
    expect.stringContaining('http://169.254.169.254/latest/api/token'),
    expect.stringContaining('http://169.254.169.254/latest/meta-data/placement/region'),
    `-sS -o /tmp/amazon-ssm-agent.deb https://s3.us-east-1.amazonaws.com/amazon-ssm-us-east-1/latest/debian_${arch}/amazon-ssm-agent.deb`,
  ]);
}, 120_000);

test('without adminUser: no user, no sudoers file, the agent all the same', async () => {
  const guest = await bootGuest({ userData: rendered() });
  expect(await until(guest, 'cloud-init status --wait >/dev/null 2>&1; cloud-init status', /status: /)).toBe(
    'status: done\n',
  );
  const out = await guest.shell('ls /etc/sudoers.d; ls /home; systemctl is-active amazon-ssm-agent');
  expect(out.stdout).toBe('90-cloud-init-users\nREADME\ndebian\nactive\n');
}, 120_000);
