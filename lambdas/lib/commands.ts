/**
 * The shell scripts sent through SSM Run Command (AWS-RunShellScript: the lines joined into one
 * script, run by `sh` as root). Every interpolated value has passed the input contract
 * (lib/input.ts); `quote` refuses anything that could still break out. The scripts use only what
 * every systemd image has (sh, coreutils, getent, hostnamectl): minimal images have no `hostname`.
 */

export const CLOUD_INIT_DROP_IN = '/etc/cloud/cloud.cfg.d/99-instance-lifecycle.cfg';
const HOSTS_MARKER = '# instance-lifecycle';
/** Linux keeps at most 64 characters of a hostname (HOST_NAME_MAX); systemd truncates longer ones silently. */
export const HOST_NAME_MAX = 64;
/** How long set-hostname waits for cloud-init to finish the user data before it gives up. */
export const CLOUD_INIT_WAIT_SECONDS = 600;
/** The set-hostname command's own limit (AWS-RunShellScript executionTimeout): the wait and a margin. */
export const SET_HOSTNAME_TIMEOUT_SECONDS = CLOUD_INIT_WAIT_SECONDS + 60;

/** Single-quotes a value for sh. Values are pre-validated; a quote in one is a bug, so refuse it. */
export function quote(value: string): string {
  if (!/^[A-Za-z0-9._:@/+=-]*$/.test(value)) throw new Error(`refusing to quote unsafe value ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/**
 * The static hostname: the FQDN where Linux can keep it whole, else the short name. Either way the
 * /etc/hosts line makes the FQDN the canonical name, which is what `hostname -f` answers.
 */
export function staticHostname(fqdn: string, hostname: string): string {
  return fqdn.length <= HOST_NAME_MAX ? fqdn : hostname;
}

/**
 * Reports the boot id, the static hostname and the FQDN (the canonical name the hostname resolves
 * to, as `hostname -f` would say) as `key=value` lines.
 */
const REPORT = [
  'echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"',
  'echo "static=$(cat /etc/hostname 2>/dev/null || true)"',
  'echo "fqdn=$(getent hosts "$(cat /proc/sys/kernel/hostname)" | { name=; read -r _ip name _rest || true; echo "$name"; })"',
];

/**
 * Waits (bounded) for cloud-init to finish the user data, so that the reboot that follows never cuts
 * it short (its per-instance scripts would not run again); reports cloud-init's exit code as
 * `cloud_init=`. 0 is done, 2 done with recoverable errors (cloud-init 23.4 and later), 1 an error,
 * 124 still running at the bound: the last two fail the command, with cloud-init's own account on
 * stderr. Images without cloud-init report `none`.
 */
const WAIT_FOR_CLOUD_INIT = [
  `if command -v cloud-init >/dev/null 2>&1; then rc=0; timeout ${CLOUD_INIT_WAIT_SECONDS} cloud-init status --wait >/dev/null 2>&1 || rc=$?; else rc=none; fi`,
  'echo "cloud_init=$rc"',
  'case "$rc" in 0|2|none) ;; *) cloud-init status --long >&2 || true; exit 1 ;; esac',
];

/**
 * Once cloud-init is done: sets the hostname now and keeps it across reboots on Amazon Linux 2023,
 * Ubuntu and Debian. hostnamectl writes /etc/hostname; the cloud-init drop-in stops cloud-init
 * resetting it (and /etc/hosts) at boot; the /etc/hosts line (address, FQDN, short name) makes the
 * FQDN the canonical name even when the DNS record is a CNAME to the EC2 name.
 */
export function setHostnameScript(fqdn: string, hostname: string, privateIp: string): string[] {
  return [
    'set -eu',
    ...WAIT_FOR_CLOUD_INIT,
    `hostnamectl set-hostname ${quote(staticHostname(fqdn, hostname))}`,
    `mkdir -p ${quote('/etc/cloud/cloud.cfg.d')}`,
    `printf 'preserve_hostname: true\\nmanage_etc_hosts: false\\n' > ${quote(CLOUD_INIT_DROP_IN)}`,
    // A minimal image may have no /etc/hosts at all (Debian's minbase has none).
    'touch /etc/hosts',
    `sed -i '/${HOSTS_MARKER}$/d' /etc/hosts`,
    `printf '%s %s %s ${HOSTS_MARKER}\\n' ${quote(privateIp)} ${quote(fqdn)} ${quote(hostname)} >> /etc/hosts`,
    ...REPORT,
  ];
}

/** Read-only probe run after the reboot. */
export function probeScript(): string[] {
  return [...REPORT];
}

export interface Report {
  bootId?: string;
  staticHostname?: string;
  fqdn?: string;
  /** cloud-init's exit code from `status --wait`, or `none`. */
  cloudInit?: string;
}

const KEYS: Record<string, keyof Report> = {
  boot_id: 'bootId',
  static: 'staticHostname',
  fqdn: 'fqdn',
  cloud_init: 'cloudInit',
};

/** Parses the `key=value` lines the scripts above print. */
export function parseReport(output: string | undefined): Report {
  const report: Report = {};
  for (const line of (output ?? '').split('\n')) {
    const match = /^([a-z_]+)=(.*)$/.exec(line.trim());
    const key = match && KEYS[match[1]];
    if (key && match[2]) report[key] = match[2];
  }
  return report;
}
