// Bounded durations, schedules that can fire, times that exist, configs the server can take:
// bad input of the kinds that used to pass validation and fail (or silently misbehave) later.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand, setLongTimeout, MAX_TIMER_MS } from '../../activities/shared/command';
import { InvalidTime, parseTime } from '../../src/core/time';
import { cronError } from '../../src/core/cron';
import { DURATION_LIMITS, parseDuration } from '../../src/core/duration';
import { ConfigError } from '../../src/platform/config/issues';
import { checkDesiredSizes } from '../../src/platform/reconcile/apply';
import { desiredState, parseConfig } from '../../src/platform/registry-api';
import { HACTL } from '../helpers';

const HEAD = 'version: 1\nhosts:\n  - name: alpha\n';
const SET = (extra: string): string =>
  `${HEAD}backups:\n  - name: db\n    host: alpha\n    paths: [/srv/db]\n    destination: /b\n${extra}`;

function messages(yaml: string): string[] {
  try {
    parseConfig(yaml, 'ha.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
    throw err;
  }
  return [];
}

describe('durations have upper bounds that fit their use', () => {
  it.each([
    [
      'health.interval',
      `${HEAD}health:\n  interval: 99999999999w\n`,
      /^5:13 health.interval .*far too large/,
    ],
    [
      'health.interval',
      `${HEAD}health:\n  interval: 2d\n`,
      /^5:13 health.interval "2d": 2d is too long: the maximum is 1d/,
    ],
    [
      'health.timeout',
      `${HEAD}health:\n  interval: 1d\n  timeout: 2h\n`,
      /^6:12 health.timeout "2h": 2h is too long: the maximum is 1h/,
    ],
    ['jitter', SET('    jitter: 99999999999w\n'), /^9:13 backups\[0\]\.jitter .*far too large/],
    ['jitter', SET('    jitter: 2d\n'), /^9:13 backups\[0\]\.jitter "2d": 2d is too long: the maximum is 1d/],
    [
      'schedule every',
      SET('    schedule: { every: 99999999999w }\n'),
      /^9:24 backups\[0\]\.schedule\.every .*far too large/,
    ],
    [
      'schedule every',
      SET('    schedule: { every: 400d }\n'),
      /^9:24 backups\[0\]\.schedule\.every "400d": 400d is too long: the maximum is 366d/,
    ],
    [
      'command timeout',
      SET('    commands: [{ name: d, argv: [x], timeout: 99999999999w }]\n'),
      /^9:47 backups\[0\].commands\[0\]\.timeout .*far too large/,
    ],
    [
      'hook timeout',
      SET('    hooks: { pre: [{ argv: [x], timeout: 31d }] }\n'),
      /backups\[0\]\.hooks\.pre\[0\]\.timeout "31d": 31d is too long: the maximum is 30d/,
    ],
    [
      'keepWithin',
      SET('    retention: { keepWithin: 40000d }\n'),
      /keepWithin "40000d": 40000d is too long: the maximum is 36500d/,
    ],
  ])('%s is refused with its position', (_what, yaml, re) => {
    const m = messages(yaml);
    expect(m.filter((x) => re.test(x))).toEqual([expect.anything()]);
  });

  it('accepts each bound itself, and a 30-day hook timeout', () => {
    expect(
      messages(
        `${HEAD}health:\n  interval: 1d\n  timeout: 1h\n` +
          'backups:\n  - name: db\n    host: alpha\n    paths: [/srv/db]\n    destination: /b\n' +
          '    schedule: { every: 366d }\n    jitter: 1d\n    retention: { keepWithin: 36500d }\n' +
          '    hooks: { pre: [{ argv: [x], timeout: 30d }] }\n',
      ),
    ).toEqual([]);
  });

  it('jitter must be shorter than an `every` schedule', () => {
    expect(messages(SET('    schedule: { every: 1h }\n    jitter: 1h\n'))).toEqual([
      '10:13 backups[0].jitter jitter (1h) must be shorter than schedule every 1h, or runs would pile up',
    ]);
  });

  it('parseDuration refuses values past exact milliseconds', () => {
    expect(parseDuration('99999999999999999999w')).toEqual({
      error: '"99999999999999999999w" is far too large',
    });
    expect(DURATION_LIMITS.commandTimeout.max).toBeGreaterThan(MAX_TIMER_MS);
  });
});

describe('timers longer than a Node timer holds', () => {
  it.each([
    ['exactly 2^31 ms', 2 ** 31],
    ['30 days', 30 * 86_400_000],
  ])('a timeout of %s does not fire at once', async (_what, ms) => {
    let fired = false;
    const t = setLongTimeout(() => (fired = true), ms);
    await new Promise((r) => setTimeout(r, 300));
    t.clear();
    expect(fired).toBe(false);
  });

  it('a short one still fires on time', async () => {
    const started = Date.now();
    await new Promise<void>((resolve) => setLongTimeout(resolve, 50));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it.each([
    ['24d', 24 * 86_400_000],
    ['exactly 2^31 ms', 2 ** 31],
    ['30d', 30 * 86_400_000],
  ])('a command with a timeout of %s runs to its end', async (_what, timeoutMs) => {
    const o = await runCommand(
      { argv: ['sleep', '1'], timeoutMs, env: {}, shell: false },
      { host: 'here', where: 'hooks.pre[0]' },
    );
    expect(o).toMatchObject({ exitCode: 0, timedOut: false });
    expect(o.durationMs).toBeGreaterThanOrEqual(900);
  });

  it('a command past its (short) timeout is still killed', async () => {
    const o = await runCommand(
      { argv: ['sleep', '30'], timeoutMs: 300, env: {}, shell: false },
      { host: 'here', where: 'x' },
    );
    expect(o.timedOut).toBe(true);
  });
});

describe('cron expressions that can never fire', () => {
  it.each([
    ['0 3 30 2 *', /day 30 never occurs in February; this schedule would never run/],
    ['0 3 31 4,6,9,11 *', /day 31 never occurs in April, June, September, November/],
    ['0 0 31 2 MON', /day 31 of February never falls/],
  ])('%s is an error', (expr, re) => {
    expect(cronError(expr)).toMatch(re);
  });

  it.each([
    '0 0 29 2 *',
    '0 0 29 2 MON',
    '0 3 31 * *',
    '*/5 * * * *',
    '0 2 * * 1-5',
    '5/15 3 1 JAN *',
    '0 0 13 * FRI',
  ])('%s fires', (expr) => expect(cronError(expr)).toBeUndefined());

  it('is reported with its position in the config', () => {
    expect(messages(SET('    schedule: { cron: "0 3 30 2 *" }\n'))).toEqual([
      '9:23 backups[0].schedule.cron cron "0 3 30 2 *": day 30 never occurs in February; this schedule would never run',
    ]);
  });
});

describe('--at: only times that exist', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  it.each([
    ['2026-02-30', /the date 2026-02-30 does not exist \(that month has 28 days\)/],
    ['2026-04-31', /the date 2026-04-31 does not exist \(that month has 30 days\)/],
    ['2024-02-30 10:00', /that month has 29 days/],
    ['99999', /cannot read the time "99999"/],
    ['20261127', /cannot read the time/],
    ['2026-13-01', /has no month 13/],
    ['2026-11-27 24:00', /time of day .* does not exist/],
    ['2026-11-27T10:61', /does not exist/],
    ['last tuesday', /cannot read the time "last tuesday"/],
    ['-5m ago', /cannot read the time/],
    ['99999999999w ago', /far too large/],
    ['200y ago', /cannot read the time/],
    ['40000d ago', /too long: the maximum is 36500d/],
    ['1969-12-31', /before 1970/],
  ])('%j is refused', (text, re) => {
    expect(() => parseTime(text, now)).toThrow(InvalidTime);
    expect(() => parseTime(text, now)).toThrow(re);
  });

  it.each([
    ['2024-02-29', Date.parse('2024-02-29T23:59:59.999Z')],
    ['2026-11-27T02:00:00.5Z', Date.parse('2026-11-27T02:00:00.500Z')],
    ['2026-11-27T03:00+0100', Date.parse('2026-11-27T02:00:00Z')],
    ['2026-11-27 02:00:30', Date.parse('2026-11-27T02:00:30Z')],
    ['1h30m ago', now - 90 * 60_000],
  ])('%j is read', (text, ms) => expect(parseTime(text, now)).toBe(ms));
});

describe('configs too large for the server', () => {
  it('a set with 150,000 excludes is refused at validation, naming the set and its position', () => {
    const excludes = Array.from({ length: 150_000 }, (_, i) => `"*.tmp${i}"`).join(', ');
    const m = messages(SET(`    exclude: [${excludes}]\n`));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(
      /^5:5 backups\[0\] backup set "db" is too large for the Temporal server: its spec is \d+\.\d MiB \(1 path\(s\), 150000 exclude pattern\(s\) in all, 0 command\(s\)\), the limit is 256\.0 KiB/,
    );
  });

  it('`hactl config validate` exits 2 on it, quickly', () => {
    const excludes = Array.from({ length: 150_000 }, (_, i) => `"*.tmp${i}"`).join(', ');
    const file = path.join(os.tmpdir(), `ha-big-${process.pid}.yml`);
    writeFileSync(file, SET(`    exclude: [${excludes}]\n`));
    const r = spawnSync(process.execPath, [HACTL, 'config', 'validate', file], { encoding: 'utf8' });
    rmSync(file);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`backups[0]  backup set "db" is too large`);
  });

  it('apply refuses any object whose input is too large, before changing anything', () => {
    const hosts = Array.from({ length: 30_000 }, (_, i) => `  - name: host-with-a-long-name-${i}\n`).join('');
    const cfg = parseConfig(`version: 1\nhosts:\n${hosts}health: {}\n`, 'ha.yml');
    expect(() => checkDesiredSizes(desiredState(cfg), cfg.file)).toThrow(
      /schedule health:snapshots would carry \d+ KiB of input, more than the 512 KiB/,
    );
  });
});
