// Checks of what people and other capabilities send the alerts manager: silences, acks and
// events arrive as signals or updates (from hactl, code, or plain `temporal workflow signal`),
// so every field is checked before it can reach the manager's state. Pure; each check returns
// what is wrong, or null.
import { matches } from './labels';
import type { Matcher } from './types';

export const REQUEST_LIMITS = {
  matchers: 32,
  labels: 64,
  labelValueChars: 1024,
  annotationChars: 8192,
  /** Regular expressions run inside the workflow on every evaluation: kept short. */
  regexChars: 256,
  textChars: 1024,
} as const;

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPS = new Set(['=', '!=', '=~', '!~']);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkText(v: unknown, what: string, required: boolean): string | null {
  if (v === undefined || v === null || v === '') return required ? `${what} is required` : null;
  if (typeof v !== 'string') return `${what} must be a string`;
  if (v.length > REQUEST_LIMITS.textChars)
    return `${what} is longer than ${REQUEST_LIMITS.textChars} characters`;
  return null;
}

/** A label map: plain strings under valid names, bounded. */
export function checkLabelMap(v: unknown, what: string, maxValueChars: number): string | null {
  if (!isRecord(v)) return `${what} must be a mapping of names to strings`;
  const entries = Object.entries(v);
  if (entries.length > REQUEST_LIMITS.labels) return `${what} has more than ${REQUEST_LIMITS.labels} entries`;
  for (const [k, val] of entries) {
    if (!LABEL_NAME.test(k))
      return `${what}: "${k}" is not a label name (letters, digits, _; not first a digit)`;
    if (typeof val !== 'string') return `${what}.${k} must be a string, not ${typeof val}`;
    if (val.length > maxValueChars) return `${what}.${k} is longer than ${maxValueChars} characters`;
  }
  return null;
}

export function checkMatchers(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0) return 'a silence needs at least one matcher';
  if (v.length > REQUEST_LIMITS.matchers) return `a silence has at most ${REQUEST_LIMITS.matchers} matchers`;
  for (const [i, m] of v.entries()) {
    if (!isRecord(m)) return `matcher ${i + 1} must be { name, op, value }`;
    if (typeof m.name !== 'string' || !LABEL_NAME.test(m.name))
      return `matcher ${i + 1}: "${String(m.name)}" is not a label name`;
    if (typeof m.op !== 'string' || !OPS.has(m.op))
      return `matcher ${i + 1}: op must be one of =, !=, =~, !~ (not ${JSON.stringify(m.op)})`;
    if (typeof m.value !== 'string') return `matcher ${i + 1}: value must be a string`;
    if (m.op === '=~' || m.op === '!~') {
      if (m.value.length > REQUEST_LIMITS.regexChars)
        return `matcher ${i + 1}: a regular expression is at most ${REQUEST_LIMITS.regexChars} characters`;
      try {
        new RegExp(`^(?:${m.value})$`);
      } catch (err) {
        return `matcher ${i + 1}: ${JSON.stringify(m.value)} is not a valid regular expression: ${(err as Error).message}`;
      }
    } else if (m.value.length > REQUEST_LIMITS.labelValueChars) {
      return `matcher ${i + 1}: value is longer than ${REQUEST_LIMITS.labelValueChars} characters`;
    }
  }
  // As Alertmanager: a silence whose every matcher matches the empty string would silence all.
  if ((v as Matcher[]).every((m) => matches(m, {})))
    return 'every matcher also matches an empty label, so the silence would silence everything; add one that needs a value (e.g. alertname=...)';
  return null;
}

/** A silence request; `now` is the manager's clock. */
export function checkSilence(r: unknown, now: number): string | null {
  if (!isRecord(r)) return 'a silence request must be an object';
  const m = checkMatchers(r.matchers);
  if (m) return m;
  if (r.startsAt !== undefined && typeof r.startsAt !== 'string') return 'startsAt must be an ISO 8601 time';
  if (typeof r.endsAt !== 'string') return 'endsAt is required (an ISO 8601 time)';
  const start = typeof r.startsAt === 'string' ? Date.parse(r.startsAt) : now;
  const end = Date.parse(r.endsAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return 'startsAt and endsAt must be ISO 8601 times';
  if (end <= Math.max(start, now))
    return `the silence would end (${r.endsAt}) before it starts or in the past`;
  if (r.untilResolved !== undefined && typeof r.untilResolved !== 'boolean')
    return 'untilResolved must be true or false';
  return checkText(r.createdBy, 'createdBy (who silences)', true) ?? checkText(r.comment, 'comment', false);
}

export function checkAck(r: unknown): string | null {
  if (!isRecord(r)) return 'an acknowledgement must be an object';
  if (typeof r.fingerprint !== 'string' || !/^[0-9a-f]{16}$/.test(r.fingerprint))
    return 'fingerprint must be the 16 hex digits hactl alerts shows';
  return checkText(r.by, 'by (who acknowledges)', true) ?? checkText(r.comment, 'comment', false);
}

export function checkExpire(r: unknown): string | null {
  if (!isRecord(r)) return 'an expire request must be an object';
  if (typeof r.id !== 'string' || r.id === '') return 'id (of the silence) is required';
  return checkText(r.by, 'by', false);
}

/** An event from another capability: labels with an alertname, optional annotations. */
export function checkEvent(e: unknown): string | null {
  if (!isRecord(e)) return 'an event must be an object { labels, annotations? }';
  const l = checkLabelMap(e.labels, 'labels', REQUEST_LIMITS.labelValueChars);
  if (l) return l;
  if (!(e.labels as Record<string, string>).alertname) return 'labels.alertname is required: what happened';
  if (e.annotations !== undefined)
    return checkLabelMap(e.annotations, 'annotations', REQUEST_LIMITS.annotationChars);
  return null;
}
