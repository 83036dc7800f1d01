// The hactl binary as users run it: help everywhere, exit codes 0 / 1 / 2, clear messages.
import * as path from 'node:path';
import { freePort } from '../../src/platform/temporal/dev-server';
import { hactl, ROOT, tempDir, testEnv, writeConfig } from '../helpers';

const env = testEnv(__filename);
const dir = tempDir('cli');
afterAll(() => dir.cleanup());

describe('hactl command line', () => {
  it.each([
    [[]],
    [['config']],
    [['config', 'validate']],
    [['apply']],
    [['worker']],
    [['dev']],
    [['hosts']],
    [['status']],
  ])('%j --help prints usage and exits 0', async (args) => {
    const r = await hactl([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: hactl/m);
  });

  it('--version prints the package version', async () => {
    const r = await hactl(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('an unknown command or option is bad input (exit 2)', async () => {
    expect((await hactl(['frobnicate'])).code).toBe(2);
    const r = await hactl(['apply', '--dry-runn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--dry-runn'/);
  });

  it('a bad option value is bad input (exit 2)', async () => {
    const r = await hactl(['worker', '--shutdown-grace', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"soon" is not a duration');
  });

  it('config validate: ok exits 0, mistakes exit 2 with one line each', async () => {
    const ok = await hactl(['config', 'validate', path.join(ROOT, 'config', 'high_availability.yml')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /: ok \(1 host\(s\): local; health every 30s; 1 backup set\(s\): config; 5 alert rule\(s\); 1 receiver\(s\); 1 DR plan\(s\): config-recovery \(5 steps\)\)/,
    );

    const bad = writeConfig(
      dir.dir,
      'bad.yml',
      'version: 1\nhosts:\n  - name: a\n    nmae: b\nhealth:\n  timeout: 1h\n',
    );
    const r = await hactl(['config', 'validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `${bad}:4:5  hosts[0].nmae  unknown field "nmae"; did you mean "name"?`,
      `${bad}:6:12  health.timeout  timeout (1h) must be shorter than interval (30s), or snapshot runs would overlap`,
      '2 error(s); nothing was applied.',
    ]);
  });

  it('backup and restore refuse bad input with exit 2 before contacting the server', async () => {
    const unknown = await hactl(['backup', 'run', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no backup set "nope"');
    expect(unknown.stderr).toContain('defined sets: config');
    const both = await hactl(['restore', 'config', '--to', '/tmp/x', '--id', 'a', '--at', 'now']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --id or --at, not both');
    const noTo = await hactl(['restore', 'config']);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('give --to DIR or --in-place (one of them)');
    const inPlaceAndSource = await hactl(['restore', 'config', '--in-place', '--into-source']);
    expect([inPlaceAndSource.code, inPlaceAndSource.stderr.trim()]).toEqual([
      2,
      'error: --in-place restores into the sources already; drop --into-source',
    ]);
    const badTime = await hactl(['restore', 'config', '--to', '/tmp/x', '--at', 'last tuesday']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('cannot read the time "last tuesday"');
    const badHost = await hactl(['restore', 'config', '--to', '/tmp/x', '--host', 'nowhere']);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain('unknown host "nowhere"');
  });

  it('input that used to pass and then misbehave is bad input, with where and what (exit 2)', async () => {
    const head =
      'version: 1\nhosts:\n  - name: alpha\nbackups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n';
    const never = writeConfig(dir.dir, 'never.yml', `${head}    schedule: { cron: "0 3 30 2 *" }\n`);
    let r = await hactl(['config', 'validate', never]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${never}:9:23  backups[0].schedule.cron  cron "0 3 30 2 *": day 30 never occurs in February; this schedule would never run`,
    );
    const huge = writeConfig(
      dir.dir,
      'huge.yml',
      `${head}    jitter: 99999999999w\n    hooks: { pre: [{ argv: [x], timeout: 30d }] }\n`,
    );
    r = await hactl(['config', 'validate', huge]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('backups[0].jitter  "99999999999w" is far too large');
    for (const [at, re] of [
      ['2026-02-30', /the date 2026-02-30 does not exist \(that month has 28 days\)/],
      ['2026-04-31', /the date 2026-04-31 does not exist/],
      ['99999', /cannot read the time "99999"/],
    ] as const) {
      r = await hactl(['restore', 'config', '--to', '/tmp/x', '--at', at]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    // A config the server could not take is refused whole before apply contacts anyone.
    const excludes = Array.from({ length: 150_000 }, (_, i) => `"*.tmp${i}"`).join(', ');
    const big = writeConfig(dir.dir, 'big.yml', `${head}    exclude: [${excludes}]\n`);
    r = await hactl(['apply', big, '--address', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${big}:5:5  backups[0]  backup set "db" is too large for the Temporal server`,
    );
    expect(r.stderr).toContain('1 error(s); nothing was applied.');
  });

  it('config validate --json prints the normalised config', async () => {
    const r = await hactl([
      'config',
      'validate',
      '--json',
      path.join(ROOT, 'config', 'high_availability.yml'),
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      version: 1,
      hosts: [{ name: 'local' }],
      health: { intervalMs: 30_000 },
    });
  });

  it('a missing config file is bad input', async () => {
    const r = await hactl(['apply', '/nonexistent/ha.yml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/ha.yml:1:1  (file)  cannot read config: file not found');
  });

  it('an unreachable server is a failure (exit 1) that says how to start one', async () => {
    const port = await freePort();
    const r = await hactl(['status', '--address', `127.0.0.1:${port}`], { env: env.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the Temporal server at 127.0.0.1:${port}`);
    expect(r.stderr).toContain('npm start');
  });

  it('an unknown namespace is named', async () => {
    const r = await hactl(['hosts', '--namespace', 'no-such-ns'], { env: env.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('namespace "no-such-ns" does not exist');
  });

  it('status and hosts work against an empty namespace', async () => {
    const h = await hactl(['hosts', '--json'], { env: env.env });
    expect(h.code).toBe(0);
    expect(JSON.parse(h.stdout)).toEqual([]);
    const s = await hactl(['status', '--json', '--config', '/nonexistent.yml'], { env: env.env });
    expect(s.code).toBe(2);
    const s2 = await hactl(['status', '--json'], { env: { ...env.env }, cwd: dir.dir });
    expect(s2.code).toBe(0);
    expect(JSON.parse(s2.stdout)).toMatchObject({ hosts: [], schedules: [] });
  });
});
