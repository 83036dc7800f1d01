// Validation of standard 5-field cron expressions ("minute hour day-of-month month day-of-week")
// and the usual @shortcuts, so that a typo is a config error with a message and not a schedule
// the server rejects later.

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
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i]!;
    for (const item of parts[i]!.split(',')) {
      const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
      if (!m) return `cron ${f.name} "${parts[i]}": cannot read "${item}"`;
      const [, range, step] = m;
      if (step !== undefined && Number(step) === 0)
        return `cron ${f.name} "${parts[i]}": step must be at least 1`;
      if (range === '*') continue;
      const bounds = range!.split('-');
      if (bounds.length > 2) return `cron ${f.name} "${parts[i]}": cannot read "${item}"`;
      const vals = bounds.map((b) => value(b, f));
      const bad = vals.find((v) => typeof v === 'string');
      if (bad !== undefined) return `cron ${f.name} "${parts[i]}": ${bad}`;
      if (vals.length === 2 && (vals[0] as number) > (vals[1] as number)) {
        return `cron ${f.name} "${parts[i]}": range ${bounds[0]}-${bounds[1]} runs backwards`;
      }
    }
  }
  return undefined;
}
