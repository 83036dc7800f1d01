// Points in time as operators type them for --at. Strict on purpose: a restore picks data by
// this time, so "2026-02-30" or "99999" must be refused, never rolled over or guessed.
import { DURATION_LIMITS, durationTooLong, parseDuration } from './duration';
import { BadInput } from './errors';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

const HINT = 'write ISO 8601 such as 2026-11-27T02:00:00Z, 2026-11-27 02:00 or 2026-11-27, or "2h ago"';

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * ISO 8601 ("2026-11-27T02:00:00Z", "2026-11-27 02:00", "2026-11-27" = the end of that day;
 * no offset means UTC) or "<duration> ago". Milliseconds, or a message saying what is wrong.
 */
export function parseTimeInput(text: string, nowMs: number): { ms: number } | { error: string } {
  const t = text.trim();
  const rel = /^(\S+)\s+ago$/i.exec(t);
  if (rel) {
    const d = parseDuration(rel[1]!);
    if ('error' in d) return { error: `cannot read the time "${text}": ${d.error}` };
    const long = durationTooLong(d.ms, DURATION_LIMITS.ago);
    if (long) return { error: `cannot use the time "${text}": ${long}` };
    return { ms: nowMs - d.ms };
  }
  const m = ISO.exec(t);
  if (!m) return { error: `cannot read the time "${text}": ${HINT}` };
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1970) return { error: `the time "${text}" is before 1970; no backup can be that old` };
  if (month < 1 || month > 12) return { error: `the time "${text}" has no month ${mo}: ${HINT}` };
  if (day < 1 || day > daysIn(year, month)) {
    return {
      error: `the date ${y}-${mo}-${d} does not exist (that month has ${daysIn(year, month)} days)`,
    };
  }
  const hour = h === undefined ? 23 : Number(h);
  const minute = mi === undefined ? 59 : Number(mi);
  const second = s === undefined ? (h === undefined ? 59 : 0) : Number(s);
  if (hour > 23 || minute > 59 || second > 59) {
    return { error: `the time of day in "${text}" does not exist (hours 00-23, minutes and seconds 00-59)` };
  }
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (frac !== undefined) ms += Math.floor(Number(`0.${frac}`) * 1000);
  else if (h === undefined) ms += 999; // a bare date means up to the end of that day
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
    if (Number(z[2]) > 14 || Number(z[3]) > 59)
      return { error: `"${zone}" in "${text}" is not a UTC offset` };
    ms -= z[1] === '+' ? offset : -offset;
  }
  return { ms };
}

/** Text given as a time that is not one (exit 2, bad input). */
export class InvalidTime extends BadInput {}

/**
 * A point in time as operators type it: ISO 8601 ("2026-11-27T02:00:00Z", "2026-11-27 02:00",
 * "2026-11-27"), or relative ("90m ago", "2d ago"). Times without an offset are UTC. Dates that
 * do not exist and anything else are refused with InvalidTime.
 */
export function parseTime(text: string, nowMs = Date.now()): number {
  const r = parseTimeInput(text, nowMs);
  if ('error' in r) throw new InvalidTime(r.error);
  return r.ms;
}
