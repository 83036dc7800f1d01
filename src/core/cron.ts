// Validation of standard 5-field cron expressions ("minute hour day-of-month month day-of-week")
// and the usual @shortcuts, so that a typo is a config error with a message and not a schedule
// the server rejects later — or accepts and never runs.

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

export const CRON_SHORTCUTS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function value(text: string, f: (typeof FIELDS)[number]): number | string {
  const names = 'names' in f ? (f.names as readonly string[]) : undefined;
  const byName = names?.indexOf(text.toUpperCase()) ?? -1;
  if (byName >= 0) return byName + (f.name === 'month' ? 1 : 0);
  if (!/^\d+$/.test(text))
    return `"${text}" is not a number${names ? ` or a name (${names.join(', ')})` : ''}`;
  const n = Number(text);
  if (n < f.min || n > f.max) return `${n} is out of range ${f.min}-${f.max}`;
  return n;
}

/** The values one field allows, or a message naming what cannot be read. */
function fieldValues(text: string, f: (typeof FIELDS)[number]): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) return `cron ${f.name} "${text}": cannot read "${item}"`;
    const [, range, stepText] = m;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step === 0) return `cron ${f.name} "${text}": step must be at least 1`;
    let lo: number = f.min;
    let hi: number = f.max;
    if (range !== '*') {
      const bounds = range!.split('-');
      if (bounds.length > 2) return `cron ${f.name} "${text}": cannot read "${item}"`;
      const vals = bounds.map((b) => value(b, f));
      const bad = vals.find((v) => typeof v === 'string');
      if (bad !== undefined) return `cron ${f.name} "${text}": ${bad}`;
      lo = vals[0] as number;
      // "5/15" means 5, 20, 35, 50, as in Vixie cron and on the Temporal server.
      hi = vals.length === 2 ? (vals[1] as number) : stepText !== undefined ? f.max : lo;
      if (lo > hi) return `cron ${f.name} "${text}": range ${bounds[0]}-${bounds[1]} runs backwards`;
    }
    for (let v = lo; v <= hi; v += step) out.add(f.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return out;
}

function describeDays(days: Set<number>): string {
  const list = [...days].sort((a, b) => a - b);
  return list.length === 1 ? `day ${list[0]}` : `days ${list.join(', ')}`;
}

/**
 * Why a cron expression can never fire, or undefined. The Temporal server (unlike Vixie cron)
 * requires day-of-month AND day-of-week to match, so both are checked together over a full
 * 400-year Gregorian cycle, in which every calendar pattern occurs.
 */
function neverFires(dom: Set<number>, month: Set<number>, dow: Set<number>): string | undefined {
  const start = Date.UTC(2000, 0, 1);
  for (let day = 0; day < 146_097; day++) {
    const d = new Date(start + day * 86_400_000);
    if (month.has(d.getUTCMonth() + 1) && dom.has(d.getUTCDate()) && dow.has(d.getUTCDay())) return undefined;
  }
  const months = [...month].sort((a, b) => a - b).map((m) => MONTHS[m - 1]);
  if (dow.size === 7) {
    return `${describeDays(dom)} never occur${dom.size === 1 ? 's' : ''} in ${months.join(', ')}; this schedule would never run`;
  }
  return `${describeDays(dom)} of ${months.join(', ')} never fall${dom.size === 1 ? 's' : ''} on the given day(s) of the week (the server requires both to match); this schedule would never run`;
}

/** undefined when valid, else a message naming the bad field. */
export function cronError(expr: string): string | undefined {
  const trimmed = expr.trim();
  if (trimmed.startsWith('@')) {
    return CRON_SHORTCUTS[trimmed.toLowerCase()]
      ? undefined
      : `unknown cron shortcut "${trimmed}" (use ${Object.keys(CRON_SHORTCUTS).join(', ')})`;
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) {
    return `cron "${expr}" has ${parts.length} field(s); write 5: minute hour day-of-month month day-of-week, e.g. "0 2 * * *"`;
  }
  const sets: Array<Set<number>> = [];
  for (let i = 0; i < 5; i++) {
    const r = fieldValues(parts[i]!, FIELDS[i]!);
    if (typeof r === 'string') return r;
    sets.push(r);
  }
  const never = neverFires(sets[2]!, sets[3]!, sets[4]!);
  return never ? `cron "${trimmed}": ${never}` : undefined;
}
