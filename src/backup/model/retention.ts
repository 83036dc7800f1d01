// Retention with the semantics of restic's `forget` policy:
//  - backups are considered newest first;
//  - keepLast n keeps the n newest;
//  - keepHourly/Daily/Weekly/Monthly/Yearly n keep, for each of the n most recent periods that
//    have backups, the newest backup of that period ("unlimited" = every period);
//  - when such a rule still has count left at the oldest backup, the oldest is kept too;
//  - keepWithin keeps everything newer than (latest backup - duration), relative to the
//    latest backup that is not in the future, not to "now";
//  - a backup is kept when any rule keeps it, and the reasons are reported.
// Periods are calendar periods in the set's time zone; weeks are ISO weeks (Monday first).
// The newest backup is always kept, and an empty policy keeps everything.
// Pure: used by activities and tests alike.

export type KeepCount = number | 'unlimited';

export interface RetentionPolicy {
  keepLast?: KeepCount;
  keepHourly?: KeepCount;
  keepDaily?: KeepCount;
  keepWeekly?: KeepCount;
  keepMonthly?: KeepCount;
  keepYearly?: KeepCount;
  /** Milliseconds. */
  keepWithinMs?: number;
}

export interface RetentionItem {
  id: string;
  /** ISO 8601. */
  createdAt: string;
}

export interface RetentionDecision {
  id: string;
  createdAt: string;
  keep: boolean;
  reasons: string[];
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Calendar fields of an instant in a time zone. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour')
      out[p.type] = Number(p.value);
  }
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour! % 24 };
}

/** ISO-8601 week-numbering year and week of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const dow = new Date(date).getUTCDay() || 7; // Monday = 1 ... Sunday = 7
  const thursday = date + (4 - dow) * 86_400_000;
  const isoYear = new Date(thursday).getUTCFullYear();
  const jan1 = Date.UTC(isoYear, 0, 1);
  return { year: isoYear, week: 1 + Math.floor((thursday - jan1) / (7 * 86_400_000)) };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

type Bucketer = (p: LocalParts, index: number) => number;

const BUCKETS: Array<{ key: keyof RetentionPolicy; reason: string; bucket: Bucketer }> = [
  { key: 'keepLast', reason: 'last', bucket: (_p, i) => i },
  {
    key: 'keepHourly',
    reason: 'hourly',
    bucket: (p) => p.year * 1_000_000 + p.month * 10_000 + p.day * 100 + p.hour,
  },
  { key: 'keepDaily', reason: 'daily', bucket: (p) => p.year * 10_000 + p.month * 100 + p.day },
  {
    key: 'keepWeekly',
    reason: 'weekly',
    bucket: (p) => {
      const w = isoWeek(p.year, p.month, p.day);
      return w.year * 100 + w.week;
    },
  },
  { key: 'keepMonthly', reason: 'monthly', bucket: (p) => p.year * 100 + p.month },
  { key: 'keepYearly', reason: 'yearly', bucket: (p) => p.year },
];

export function isEmptyPolicy(p: RetentionPolicy): boolean {
  return BUCKETS.every((b) => !p[b.key]) && !p.keepWithinMs;
}

/**
 * Decides, for every backup, keep or remove and why. Output is newest first.
 * `nowMs` only matters for keepWithin: a backup dated in the future does not count as latest.
 */
export function applyRetention(
  items: readonly RetentionItem[],
  policy: RetentionPolicy,
  timeZone: string,
  nowMs: number,
): RetentionDecision[] {
  // Newest first; equal times keep their input order (stable sort), ties broken by id.
  const list = items
    .map((it) => ({ ...it, ms: Date.parse(it.createdAt) }))
    .sort((a, b) => b.ms - a.ms || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  if (list.length === 0) return [];
  if (isEmptyPolicy(policy)) {
    return list.map((it) => ({
      id: it.id,
      createdAt: it.createdAt,
      keep: true,
      reasons: ['no retention policy'],
    }));
  }

  const state = BUCKETS.map((b) => {
    const v = policy[b.key];
    return { ...b, count: v === 'unlimited' ? -1 : (v ?? 0), last: Number.NaN };
  });

  let latest = Number.NEGATIVE_INFINITY;
  for (const it of list) if (it.ms > latest && it.ms < nowMs) latest = it.ms;

  return list.map((it, nr) => {
    const reasons: string[] = [];
    if (policy.keepWithinMs && latest !== Number.NEGATIVE_INFINITY && it.ms > latest - policy.keepWithinMs) {
      reasons.push('within');
    }
    const parts = localParts(it.ms, timeZone);
    for (const b of state) {
      if (b.count === 0) continue;
      const val = b.bucket(parts, nr);
      const oldest = nr === list.length - 1;
      if (val !== b.last || oldest) {
        reasons.push(val === b.last && oldest ? `oldest ${b.reason}` : b.reason);
        b.last = val;
        if (b.count > 0) b.count--;
      }
    }
    if (nr === 0 && reasons.length === 0) reasons.push('newest'); // never remove the newest
    return { id: it.id, createdAt: it.createdAt, keep: reasons.length > 0, reasons };
  });
}
