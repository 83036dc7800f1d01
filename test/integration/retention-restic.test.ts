// Our retention against the real restic: one repository of snapshots at chosen times, many
// policies, and for each policy the same backups kept, for the same reasons.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { applyRetention } from '../../src/backup/model/retention';
import type { RetentionPolicy } from '../../src/backup/model/retention';
import { readState } from '../setup/shared';
import { tempDir } from '../helpers';

const run = promisify(execFile);
const found = readState().restic;
if (typeof found !== 'string') throw new Error(`the restic conformance test needs restic: ${found.error}`);
const restic: string = found;
const dir = tempDir('restic');
afterAll(() => dir.cleanup());

interface Snap {
  id: string;
  time: string;
}

/** Deterministic PRNG so that failures reproduce. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** Local wall-clock times (restic reads --time in $TZ) that hit hour/day/week/month/year edges. */
function scenarioTimes(): string[] {
  const fixed = [
    '2024-12-30 23:59:00', // Monday, ISO week 1 of 2025
    '2024-12-31 00:00:00',
    '2025-01-01 00:30:00',
    '2025-03-30 01:30:00', // around the EU DST change
    '2025-03-30 03:30:00',
    '2025-06-01 10:00:00',
    '2025-06-01 10:59:59',
    '2025-06-01 11:00:00',
    '2025-06-29 23:00:00', // Sunday
    '2025-06-30 00:00:00', // Monday
    '2025-12-31 23:00:00',
    '2026-01-01 01:00:00',
  ];
  const rnd = prng(42);
  const base = Date.parse('2025-01-01T00:00:00Z');
  const random = Array.from({ length: 14 }, () => {
    const d = new Date(base + Math.floor(rnd() * 420) * 86_400_000 + Math.floor(rnd() * 86_400) * 1000);
    return d.toISOString().slice(0, 19).replace('T', ' ');
  });
  return [...new Set([...fixed, ...random])];
}

async function makeRepo(tz: string): Promise<{ repo: string; snaps: Snap[] }> {
  const repo = path.join(dir.dir, `repo-${tz.replace('/', '-')}`);
  const data = path.join(dir.dir, 'data');
  mkdirSync(data, { recursive: true });
  writeFileSync(path.join(data, 'f'), 'x');
  const env = {
    ...process.env,
    RESTIC_PASSWORD: 'test',
    RESTIC_REPOSITORY: repo,
    TZ: tz,
    RESTIC_CACHE_DIR: path.join(dir.dir, 'cache'),
  };
  execFileSync(restic, ['init', '-q'], { env });
  const times = scenarioTimes();
  // Concurrent backups take shared locks; four at a time keeps both cores busy.
  for (let i = 0; i < times.length; i += 4) {
    await Promise.all(
      times
        .slice(i, i + 4)
        .map((t) => run(restic, ['backup', '-q', '--host', 'h', '--time', t, data], { env })),
    );
  }
  const snaps = JSON.parse(
    execFileSync(restic, ['snapshots', '--json'], { env, encoding: 'utf8' }),
  ) as Array<{ id: string; time: string }>;
  return { repo, snaps: snaps.map((s) => ({ id: s.id, time: s.time })) };
}

function resticArgs(p: RetentionPolicy, within?: string): string[] {
  const args: string[] = [];
  const flag = (name: string, v: RetentionPolicy['keepLast']) => {
    if (v !== undefined) args.push(`--keep-${name}`, v === 'unlimited' ? 'unlimited' : String(v));
  };
  flag('last', p.keepLast);
  flag('hourly', p.keepHourly);
  flag('daily', p.keepDaily);
  flag('weekly', p.keepWeekly);
  flag('monthly', p.keepMonthly);
  flag('yearly', p.keepYearly);
  if (within) args.push('--keep-within', within);
  return args;
}

function policies(seed: number, count: number): Array<{ policy: RetentionPolicy; within?: string }> {
  const rnd = prng(seed);
  const pick = (): RetentionPolicy['keepLast'] | undefined => {
    const r = rnd();
    if (r < 0.45) return undefined;
    if (r < 0.5) return 'unlimited';
    return Math.floor(rnd() * 6);
  };
  const out: Array<{ policy: RetentionPolicy; within?: string }> = [
    { policy: { keepLast: 3 } },
    { policy: { keepDaily: 7 } },
    { policy: { keepWeekly: 4, keepMonthly: 6 } },
    { policy: { keepHourly: 30 } },
    { policy: { keepYearly: 'unlimited' } },
    { policy: { keepWithinMs: 36 * 3_600_000 }, within: '36h' },
  ];
  while (out.length < count) {
    const p: RetentionPolicy = {};
    const set = (k: keyof RetentionPolicy, v: RetentionPolicy['keepLast'] | undefined) => {
      if (v !== undefined) (p as Record<string, unknown>)[k] = v;
    };
    set('keepLast', pick());
    set('keepHourly', pick());
    set('keepDaily', pick());
    set('keepWeekly', pick());
    set('keepMonthly', pick());
    set('keepYearly', pick());
    let within: string | undefined;
    if (rnd() < 0.3) {
      const h = 1 + Math.floor(rnd() * 400);
      within = `${h}h`;
      p.keepWithinMs = h * 3_600_000;
    }
    const zeroOnly = Object.values(p).every((v) => v === 0) && !within;
    if (Object.keys(p).length === 0 || zeroOnly) continue; // restic refuses an empty policy
    out.push({ policy: p, ...(within ? { within } : {}) });
  }
  return out;
}

function ourReason(r: string, within?: string): string {
  if (r === 'within') return `within ${within}`;
  const [oldest, kind] = r.startsWith('oldest ') ? ['oldest ', r.slice(7)] : ['', r];
  return `${oldest}${kind} snapshot`;
}

interface ResticGroup {
  keep: Array<{ id: string }> | null;
  remove: Array<{ id: string }> | null;
  reasons: Array<{ snapshot: { id: string }; matches: string[] }> | null;
}

describe.each(['UTC', 'Europe/Berlin'])('retention matches restic in time zone %s', (tz) => {
  let repo: string;
  let snaps: Snap[];
  const env = () => ({
    ...process.env,
    RESTIC_PASSWORD: 'test',
    RESTIC_REPOSITORY: repo,
    TZ: tz,
    RESTIC_CACHE_DIR: path.join(dir.dir, 'cache'),
  });

  beforeAll(async () => {
    ({ repo, snaps } = await makeRepo(tz));
  }, 180_000);

  it('has the scenario snapshots', () => {
    expect(snaps.length).toBeGreaterThanOrEqual(20);
  });

  it.each(policies(tz === 'UTC' ? 7 : 11, 24).map((x, i) => [i, x] as const))(
    'policy %i %j',
    async (_i, { policy, within }) => {
      const out = execFileSync(
        restic,
        ['forget', '--dry-run', '--json', '--group-by', 'host', ...resticArgs(policy, within)],
        {
          env: env(),
          encoding: 'utf8',
        },
      );
      const groups = JSON.parse(out) as ResticGroup[];
      expect(groups).toHaveLength(1);
      const g = groups[0]!;
      const theirs = new Map((g.reasons ?? []).map((r) => [r.snapshot.id, [...r.matches].sort()]));

      const ours = applyRetention(
        snaps.map((s) => ({ id: s.id, createdAt: s.time })),
        policy,
        tz,
        Date.now(),
      );
      const oursKept = new Map(
        ours.filter((d) => d.keep).map((d) => [d.id, d.reasons.map((r) => ourReason(r, within)).sort()]),
      );
      expect([...oursKept.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [id, reasons] of oursKept) expect({ id, reasons }).toEqual({ id, reasons: theirs.get(id) });
      expect(
        ours
          .filter((d) => !d.keep)
          .map((d) => d.id)
          .sort(),
      ).toEqual((g.remove ?? []).map((s) => s.id).sort());
    },
  );
});
