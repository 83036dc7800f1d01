// Labels as Alertmanager treats them: matchers, fingerprints, group keys, and the `{{ name }}`
// templates of annotations. Pure (no Node crypto: workflows use this).
import type { Matcher } from './types';

/** `name=value`, `name!=value`, `name=~regex`, `name!~regex` -> a matcher, or an error message. */
export function parseMatcher(text: string): Matcher | { error: string } {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!m)
    return { error: `"${text}" is not a matcher; write name=value, name!=value, name=~regex or name!~regex` };
  const op = m[2] as Matcher['op'];
  let value = m[3]!;
  if (/^".*"$/.test(value)) value = value.slice(1, -1);
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (err) {
      return {
        error: `"${value}" in "${text}" is not a valid regular expression: ${(err as Error).message}`,
      };
    }
  }
  return { name: m[1]!, op, value };
}

/** Equality matchers from a plain mapping (the config's `match: { severity: critical }`). */
export function equalMatchers(labels: Record<string, string>): Matcher[] {
  return Object.entries(labels).map(([name, value]) => ({ name, op: '=' as const, value }));
}

export function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

export function matchesAll(ms: readonly Matcher[], labels: Record<string, string>): boolean {
  return ms.every((m) => matches(m, labels));
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/** `{a="1", b="2"}` with names sorted, as Alertmanager prints label sets in group keys. */
export function labelSetString(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

/** UTF-8 bytes of a string (the workflow sandbox has no TextEncoder to rely on). */
function utf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/**
 * The alert's identity: FNV-1a (64 bits) over its sorted labels, names and values separated by
 * 0xff as Alertmanager does; 16 hex digits. Stable across restarts and releases.
 */
export function fingerprint(labels: Record<string, string>): string {
  let h = FNV64_OFFSET;
  const feed = (s: string): void => {
    for (const byte of utf8(s)) {
      h ^= BigInt(byte);
      h = (h * FNV64_PRIME) & MASK64;
    }
  };
  for (const k of Object.keys(labels).sort()) {
    feed(k);
    h = ((h ^ 0xffn) * FNV64_PRIME) & MASK64;
    feed(labels[k]!);
    h = ((h ^ 0xffn) * FNV64_PRIME) & MASK64;
  }
  return h.toString(16).padStart(16, '0');
}

/** Fills `{{ name }}` from the alert's labels (and `value`); unknown names stay visible. */
export function expandTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (all, name: string) => vars[name] ?? all);
}

/** The names a template uses, for config checks. */
export function templateNames(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!);
}
