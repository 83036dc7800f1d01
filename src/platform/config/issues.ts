// Collects config mistakes with their positions, so that all of them are reported at once.
import type { z } from 'zod';
import { BadInput } from '../../core/errors';
import type { NodePositions, PathSegment, Position } from './yaml';
import { formatPath, positionOf } from './yaml';

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col}  ${i.path}  ${i.message}`;
}

/** Thrown by loadConfig; `issues` holds every mistake found, in file order. Bad input: exit 2. */
export class ConfigError extends BadInput {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }

  /** What the CLI prints: one line per mistake, then that nothing was applied. */
  override lines(): string[] {
    return [...this.issues.map(formatIssue), `${this.issues.length} error(s); nothing was applied.`];
  }
}

export class IssueCollector {
  readonly issues: ConfigIssue[] = [];
  constructor(
    readonly file: string,
    /** Asked for only when there is something to report (building them costs). */
    private readonly positions: () => Map<string, NodePositions>,
  ) {}

  add(
    path: readonly PathSegment[],
    message: string,
    opts: { at?: 'key' | 'value'; position?: Position } = {},
  ): void {
    const pos = opts.position ?? positionOf(this.positions(), path, opts.at ?? 'value');
    this.issues.push({ file: this.file, line: pos.line, col: pos.col, path: formatPath(path), message });
  }

  /** Position of a node, for messages such as "first defined at line 3". */
  where(path: readonly PathSegment[]): Position {
    return positionOf(this.positions(), path);
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }

  sorted(): ConfigIssue[] {
    return [...this.issues].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
  }

  addZodIssues(
    issues: readonly z.core.$ZodIssue[],
    schema: z.ZodType,
    base: readonly PathSegment[] = [],
  ): void {
    for (const issue of issues) {
      const path = [...base, ...(issue.path as PathSegment[])];
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeys(schema, issue.path as PathSegment[]);
        for (const key of issue.keys) {
          const hint = suggest(key, known);
          const allowed = known.length ? ` (allowed: ${known.join(', ')})` : '';
          this.add([...path, key], `unknown field "${key}"${hint ? `; did you mean "${hint}"?` : allowed}`, {
            at: 'key',
          });
        }
        continue;
      }
      if (issue.code === 'invalid_union') {
        // Report the branch that got furthest instead of a bare "invalid input".
        const branches = issue.errors as z.core.$ZodIssue[][];
        const best = branches.reduce<z.core.$ZodIssue[] | undefined>(
          (acc, b) => (acc === undefined || depth(b) > depth(acc) ? b : acc),
          undefined,
        );
        if (best && best.length && depth(best) > 0) {
          this.addZodIssues(
            best.map((b) => ({ ...b, path: [...issue.path, ...b.path] })),
            schema,
            base,
          );
          continue;
        }
      }
      this.add(path, messageFor(issue));
    }
  }
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  record: 'a mapping (key: value)',
};

function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      if (issue.input === undefined)
        return `required field is missing (expected ${TYPE_NAMES[issue.expected] ?? issue.expected})`;
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      if (issue.message && !issue.message.startsWith('Invalid')) return issue.message;
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array')
        return issue.message && !issue.message.startsWith('Too small')
          ? issue.message
          : `needs at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return `must not be empty`;
      return `must be at least ${issue.minimum}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `has too many items (at most ${issue.maximum})`;
      if (issue.origin === 'string') return `is too long (at most ${issue.maximum} characters)`;
      return `must be at most ${issue.maximum}, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

type AnyDef = {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  element?: unknown;
  options?: unknown[];
  in?: unknown;
  valueType?: unknown;
};

function defOf(schema: unknown): AnyDef | undefined {
  return (schema as { _zod?: { def?: AnyDef } } | undefined)?._zod?.def;
}

/** Keys the schema allows at `path`; walks objects, arrays, optionals, defaults and unions. */
function knownKeys(schema: unknown, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  const walk = (s: unknown, rest: readonly PathSegment[]): void => {
    const def = defOf(s);
    if (!def) return;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'nonoptional':
        return walk(def.innerType, rest);
      case 'pipe':
        return walk(def.in, rest);
      case 'union':
        for (const o of def.options ?? []) walk(o, rest);
        return;
      case 'array':
        if (typeof rest[0] === 'number') walk(def.element, rest.slice(1));
        return;
      case 'record':
        if (rest.length) walk(def.valueType, rest.slice(1));
        return;
      case 'object': {
        const shape = (s as { shape: Record<string, unknown> }).shape;
        if (rest.length === 0) Object.keys(shape).forEach((k) => keys.add(k));
        else if (typeof rest[0] === 'string' && shape[rest[0]]) walk(shape[rest[0]], rest.slice(1));
        return;
      }
    }
  };
  walk(schema, path);
  return [...keys];
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(
        dp[j]! + 1,
        dp[j - 1]! + 1,
        prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
