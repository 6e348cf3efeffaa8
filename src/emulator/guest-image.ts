/**
 * The image real guests boot: a Debian 12 root file system with systemd, cloud-init and what the
 * workflow's scripts need, built once by mmdebstrap from Debian's packages and cached under
 * ~/.cache/instance-lifecycle/ (keyed by everything that shapes it). Two stand-ins are baked in,
 * because a guest has no AWS around it:
 * - `/usr/local/bin/curl` answers what userdata/bootstrap.sh fetches: the instance metadata
 *   (token, region) and the SSM agent's .deb, which it copies from the image; every call is logged
 *   to /var/log/instance-lifecycle-curl.log, so a test sees which URL the script asked for;
 * - that .deb installs a stub `amazon-ssm-agent` service (it only stays up): the SSM side of the
 *   emulator runs commands in the guest itself, and takes the service being active as the agent
 *   being Online.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { cacheRoot as projectCache } from './moto';

export const SUITE = 'bookworm';
export const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'cloud-init', 'sudo', 'locales', 'iproute2', 'procps'];

const CURL_STUB = `#!/bin/sh
# instance-lifecycle guest image: a stand-in for curl. A guest has no instance metadata service and
# no S3: this answers what userdata/bootstrap.sh fetches, and logs every call.
echo "$*" >> /var/log/instance-lifecycle-curl.log
out= url=
while [ $# -gt 0 ]; do
  case "$1" in
    -o|-H|-X) [ "$1" = -o ] && out=$2; shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
case "$url" in
  */latest/api/token) echo stub-token ;;
  */latest/meta-data/placement/region) echo us-east-1 ;;
  */amazon-ssm-agent.deb) cp /opt/instance-lifecycle/amazon-ssm-agent.deb "$out" ;;
  *) echo "curl (guest image stand-in): nothing at $url" >&2; exit 7 ;;
esac
`;

const AGENT_UNIT = `[Unit]
Description=Stand-in for the Amazon SSM agent (instance-lifecycle guest image)

[Service]
ExecStart=/usr/bin/amazon-ssm-agent

[Install]
WantedBy=multi-user.target
`;

/** Runs on the host after the packages are installed; "$1" is the new root. */
const CUSTOMIZE = `set -eu
root="$1"
install -m 0755 /dev/stdin "$root/usr/local/bin/curl" <<'STUB'
${CURL_STUB}STUB
deb=$(mktemp -d)
mkdir -p "$deb/DEBIAN" "$deb/lib/systemd/system" "$deb/usr/bin"
printf 'Package: amazon-ssm-agent\\nVersion: 0.0-instance-lifecycle-stub\\nArchitecture: all\\nMaintainer: instance-lifecycle\\nDescription: stand-in for the SSM agent in the guest image\\n' > "$deb/DEBIAN/control"
cat > "$deb/lib/systemd/system/amazon-ssm-agent.service" <<'UNIT'
${AGENT_UNIT}UNIT
printf '#!/bin/sh\\nexec sleep infinity\\n' > "$deb/usr/bin/amazon-ssm-agent"
chmod 0755 "$deb/usr/bin/amazon-ssm-agent"
mkdir -p "$root/opt/instance-lifecycle"
dpkg-deb --root-owner-group --build "$deb" "$root/opt/instance-lifecycle/amazon-ssm-agent.deb" >/dev/null
rm -rf "$deb"
printf 'datasource_list: [ NoCloud, None ]\\n' > "$root/etc/cloud/cloud.cfg.d/05_instance_lifecycle_datasource.cfg"
sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$root/etc/locale.gen"
chroot "$root" locale-gen >/dev/null
`;

/** Where the image lives: a directory per recipe, so a changed recipe builds anew. */
export function imageDir(cacheRoot = projectCache()): string {
  const digest = createHash('sha256').update(JSON.stringify({ SUITE, PACKAGES, CUSTOMIZE })).digest('hex').slice(0, 16);
  return path.join(cacheRoot, `guest-${SUITE}-${digest}`);
}

export interface ImageBuild {
  dir: string;
  built: boolean;
  seconds: number;
}

/** The cached root file system, built first if it is not there yet (a minute or two, once). */
export async function ensureImage(progress: (line: string) => void = () => undefined): Promise<ImageBuild> {
  const dir = imageDir();
  const started = Date.now();
  if (existsSync(path.join(dir, 'usr', 'lib', 'systemd', 'systemd'))) return { dir, built: false, seconds: 0 };
  mkdirSync(path.dirname(dir), { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  progress(`building the guest image (Debian ${SUITE}, systemd, cloud-init) into ${dir}: once, a minute or two`);
  await run('mmdebstrap', [
    '--variant=minbase',
    '--quiet',
    `--include=${PACKAGES.join(',')}`,
    `--customize-hook=${CUSTOMIZE}`,
    SUITE,
    partial,
  ]);
  // Whole or not at all: a second process never boots a half-built image.
  if (existsSync(dir)) rmSync(partial, { recursive: true, force: true });
  else renameSync(partial, dir);
  return { dir, built: true, seconds: (Date.now() - started) / 1000 };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`)),
    );
  });
}
