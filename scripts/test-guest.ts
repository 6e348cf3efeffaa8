/**
 * `npm run test:guest`: the guest suite, on real Debian guests booted with systemd-nspawn. Checks
 * first that this machine can boot one (Linux, root, systemd-nspawn, mmdebstrap, overlayfs); if it
 * cannot, says why in one line and exits 1, or 0 with `--skip-unavailable` (or
 * LIFECYCLE_GUEST_TESTS=skip). Builds the cached image if need be, then runs jest on test/guest.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { containersUnavailable } from '../src/emulator/container-guests';
import { ensureImage } from '../src/emulator/guest-image';

const ROOT = path.resolve(__dirname, '..');

async function main(argv: string[]): Promise<number> {
  const skip = argv.includes('--skip-unavailable') || process.env.LIFECYCLE_GUEST_TESTS === 'skip';
  const why = containersUnavailable();
  if (why) {
    process.stderr.write(`test:guest: ${why}${skip ? '; skipped as asked' : ' (--skip-unavailable to skip)'}\n`);
    return skip ? 0 : 1;
  }
  const image = await ensureImage((line) => process.stderr.write(`test:guest: ${line}\n`));
  process.stderr.write(
    `test:guest: image ${image.dir} (${image.built ? `built in ${image.seconds.toFixed(0)} s` : 'cached'})\n`,
  );
  const jest = spawnSync(
    process.execPath,
    [
      require.resolve('jest/bin/jest'),
      '--config',
      'jest.guest.config.js',
      ...argv.filter((a) => a !== '--skip-unavailable'),
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return jest.status ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`test:guest: ${error.message}\n`);
    process.exitCode = 1;
  },
);
