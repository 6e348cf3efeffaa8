/**
 * Leases as an operator meets them, through the command on the emulator's Step Functions API:
 * create with --expires-in, `hosts` shows the expiry, `extend` moves it, and when the emulator's
 * clock passes it the lease's schedule destroys the host, record included.
 */
import type { Inventory } from '../src/cli/deployed/hosts';
import { main } from '../src/cli/main';
import { Harness, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start({ stack: true }));
afterAll(() => h.stop());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--endpoint', h.url], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const HOUR = 3600_000;

test('create --expires-in, hosts shows the expiry, extend moves it, and the lease destroys the host when it comes', async () => {
  const before = Date.now();
  const created = await cli('create', '--hostname', 'lease1', '--zone', ZONE, '--expires-in', '1h', '--json');
  expect(created.code).toBe(0);
  const { expiresAt } = JSON.parse(created.out) as { expiresAt: string };
  expect(new Date(expiresAt).getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + HOUR);
  expect(new Date(expiresAt).getTime()).toBeLessThan(Date.now() + HOUR);

  const listed = JSON.parse((await cli('hosts', '--json')).out) as Inventory;
  expect(listed.hosts).toEqual([expect.objectContaining({ hostname: 'lease1', expiresAt, record: 'ok' })]);
  expect((await cli('hosts')).out).toContain(expiresAt);

  const extended = await cli('extend', 'lease1', '--zone', ZONE, '--by', '2h');
  const moved = new Date(new Date(expiresAt).getTime() + 2 * HOUR).toISOString().replace('.000Z', 'Z');
  expect(extended).toMatchObject({ code: 0, err: '' });
  expect(extended.out).toMatch(
    new RegExp(`^lease1\\.${ZONE.replace('.', '\\.')} \\(i-[0-9a-f]+\\): lease moved from ${expiresAt} to ${moved}$`),
  );
  expect((JSON.parse((await cli('hosts', '--json')).out) as Inventory).hosts[0].expiresAt).toBe(moved);

  // Past the first expiry, not the moved one: nothing fires.
  expect(await h.advanceClock(90 * 60)).toEqual([]);
  expect((await h.host('lease1')).live).toHaveLength(1);
  // Past the moved one: the schedule starts destroy-vm for the host.
  const fired = await h.advanceClock(2 * 3600);
  expect(fired).toHaveLength(1);
  expect((await h.api.result(fired[0].executionArn)).status).toBe('SUCCEEDED');
  expect(await h.host('lease1')).toMatchObject({ live: [], records: [] });
  expect((JSON.parse((await cli('hosts', '--json')).out) as Inventory).hosts).toEqual([]);
}, 120_000);
