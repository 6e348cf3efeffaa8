/**
 * The shell scripts sent through SSM Run Command (AWS-RunShellScript). Every interpolated value has
 * passed the input contract (lib/input.ts); `quote` refuses anything that could still break out.
 */

export const CLOUD_INIT_DROP_IN = '/etc/cloud/cloud.cfg.d/99-instance-lifecycle.cfg';
const HOSTS_MARKER = '# instance-lifecycle';

/** Single-quotes a value for sh. Values are pre-validated; a quote in one is a bug, so refuse it. */
export function quote(value: string): string {
  if (!/^[A-Za-z0-9._:@/+=-]*$/.test(value)) throw new Error(`refusing to quote unsafe value ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/** Reports the boot id and the fully qualified hostname as `key=value` lines. */
const REPORT = ['echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"', 'echo "hostname=$(hostname -f)"'];

/**
 * Sets the hostname now and keeps it across reboots on Amazon Linux 2023 and Ubuntu:
 * hostnamectl writes /etc/hostname; the cloud-init drop-in stops cloud-init resetting it (and
 * /etc/hosts) at boot; the /etc/hosts line makes `hostname -f` answer the fqdn even when the
 * DNS record is a CNAME to the EC2 name.
 */
export function setHostnameScript(fqdn: string, hostname: string, privateIp: string): string[] {
  return [
    'set -eu',
    `hostnamectl set-hostname ${quote(fqdn)}`,
    `mkdir -p ${quote('/etc/cloud/cloud.cfg.d')}`,
    `printf 'preserve_hostname: true\\nmanage_etc_hosts: false\\n' > ${quote(CLOUD_INIT_DROP_IN)}`,
    `sed -i '/${HOSTS_MARKER}$/d' /etc/hosts`,
    `printf '%s %s %s ${HOSTS_MARKER}\\n' ${quote(privateIp)} ${quote(fqdn)} ${quote(hostname)} >> /etc/hosts`,
    ...REPORT,
  ];
}

/** Read-only probe run after the reboot. */
export function probeScript(): string[] {
  return [...REPORT];
}

/** Parses the `key=value` lines the scripts above print. */
export function parseReport(output: string | undefined): { bootId?: string; hostname?: string } {
  const report: { bootId?: string; hostname?: string } = {};
  for (const line of (output ?? '').split('\n')) {
    const match = /^(boot_id|hostname)=(.*)$/.exec(line.trim());
    if (!match) continue;
    if (match[1] === 'boot_id' && match[2]) report.bootId = match[2];
    if (match[1] === 'hostname' && match[2]) report.hostname = match[2];
  }
  return report;
}
