// Durations as operators write them: "90s", "15m", "1h30m", "7d", "2w", "250ms".
// Pure: imported by workflows.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Milliseconds for a duration string, or an error message saying what is wrong. */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const s = text.trim();
  if (s === '') return { error: 'empty duration; write e.g. "30s", "15m", "1h30m", "7d"' };
  let total = 0;
  let pos = 0;
  const seen = new Set<string>();
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) {
      return {
        error: `"${text}" is not a duration; write a number with a unit (ms, s, m, h, d, w), e.g. "30s", "1h30m"`,
      };
    }
    const unit = m[2]!;
    if (seen.has(unit)) return { error: `"${text}" repeats the unit "${unit}"` };
    seen.add(unit);
    total += Number(m[1]) * UNIT_MS[unit]!;
    pos = PART.lastIndex;
  }
  if (!Number.isFinite(total)) return { error: `"${text}" is too large` };
  return { ms: Math.round(total) };
}

/** Like parseDuration but throws; for values already validated by the config loader. */
export function durationMs(text: string): number {
  const r = parseDuration(text);
  if ('error' in r) throw new Error(r.error);
  return r.ms;
}

/** Compact human form: 93784000 -> "1d2h3m4s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('') || '0s';
}
