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

const DAY = 86_400_000;

/**
 * Upper bounds of every duration in the config and on the command line. Each fits its use:
 * a bound well past any sensible value, yet far below what would overflow a timer, a Go
 * time.Duration on the server (292 years) or double precision.
 */
export const DURATION_LIMITS = {
  /** `schedule: { every }`, also of verify and drill: once a year at most. */
  scheduleEvery: { max: 366 * DAY, why: 'a schedule runs at least once a year' },
  /** `jitter`: a random delay added to each scheduled run. */
  jitter: { max: DAY, why: 'a scheduled run is delayed by at most a day' },
  /** `health.interval`. */
  healthInterval: { max: DAY, why: 'hosts are sampled at least once a day' },
  /** `health.timeout`. */
  healthTimeout: { max: 3_600_000, why: 'a host that does not answer within an hour is down' },
  /** Command and hook `timeout`. Longer than a Node timer can hold (24.8 days): re-armed. */
  commandTimeout: { max: 30 * DAY, why: 'a command or hook runs for at most 30 days' },
  /** `hactl audit --since`: what the server keeps (its retention) is all there is to read. */
  auditSince: { max: 3_660 * DAY, why: 'a namespace keeps closed runs for at most its retention' },
  /** `retention.keepWithin`. */
  keepWithin: { max: 36_500 * DAY, why: 'keepWithin covers at most 100 years' },
  /** `--at "<duration> ago"`. */
  ago: { max: 36_500 * DAY, why: 'a time at most 100 years ago' },
  /** Alert rules' `for` and `keepFiringFor`. */
  alertFor: { max: 30 * DAY, why: 'a condition holds at most 30 days before it fires or resolves' },
  /** Routes' `groupWait`. */
  groupWait: { max: 3_600_000, why: 'the first notification of a group waits at most an hour' },
  /** Routes' `groupInterval`. */
  groupInterval: { max: DAY, why: 'changes in a group are told at least once a day' },
  /** Routes' `repeatInterval`, and silences (`hactl silence add --for`). */
  repeatInterval: { max: 30 * DAY, why: 'a firing alert is repeated at least every 30 days' },
  /** Receivers' `maxAge`: how long delivery of one notification is retried. */
  maxAge: { max: 30 * DAY, why: 'a notification is retried for at most 30 days' },
  /** Receivers' `timeout`. */
  receiverTimeout: { max: 600_000, why: 'one delivery attempt waits at most 10 minutes' },
  /** `alerts.staleAfter` and `alerts.fleetInterval`. */
  alertsInterval: { max: DAY, why: 'hosts and fleet metrics are looked at at least once a day' },
  /** Probes' `interval`, `timeout` and `initialDelay`; a failover group's `verifyTimeout`. */
  probeInterval: { max: 3_600_000, why: 'a service is probed at least once an hour' },
  /** Services' restart `window`, backoff, `giveUpAfter`, `resetAfter`; failover `cooldown` and windows. */
  restartWindow: { max: 30 * DAY, why: 'restart windows and backoff span at most 30 days' },
  /** `hactl worker --shutdown-grace`. */
  shutdownGrace: { max: 3_600_000, why: 'in-flight work gets at most an hour to finish' },
} as const;

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
  // Far beyond every limit above, and where milliseconds stop being exact integers.
  if (!Number.isSafeInteger(Math.round(total))) return { error: `"${text}" is far too large` };
  return { ms: Math.round(total) };
}

/** Checks a parsed duration against one of DURATION_LIMITS; a message when it is too long. */
export function durationTooLong(ms: number, limit: { max: number; why: string }): string | undefined {
  if (ms <= limit.max) return undefined;
  return `${formatDuration(ms)} is too long: the maximum is ${formatDuration(limit.max)} (${limit.why})`;
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
