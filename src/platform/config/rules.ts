// Helpers for cross-field rules: things a per-field schema cannot see. Rules run on the raw
// document even when the schema found problems, skipping anything malformed, so that one pass
// reports every mistake.
import * as path from 'node:path';
import { cronError } from '../../core/cron';
import { parseDuration } from '../../core/duration';
import type { IssueCollector } from './issues';
import { suggest } from './issues';
import type { PathSegment } from './yaml';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Milliseconds of a duration string, or undefined when it is not one. */
export function ms(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const r = parseDuration(v);
  return 'ms' in r ? r.ms : undefined;
}

/** Items of a list section that are mappings, with their index. */
export function items(doc: Obj, section: string): Array<{ item: Obj; index: number }> {
  const list = doc[section];
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, index) => (isObj(item) ? [{ item, index }] : []));
}

/** Reports duplicate `name`s within a list section; returns the set of names. */
export function uniqueNames(doc: Obj, section: string, what: string, issues: IssueCollector): Set<string> {
  const seen = new Map<string, number>();
  for (const { item, index } of items(doc, section)) {
    const n = item.name;
    if (typeof n !== 'string') continue;
    const first = seen.get(n);
    if (first !== undefined) {
      const at = issues.where([section, first, 'name']);
      issues.add(
        [section, index, 'name'],
        `duplicate ${what} name "${n}" (first defined at line ${at.line})`,
      );
    } else seen.set(n, index);
  }
  return new Set(seen.keys());
}

/** Reports a reference to a host that the hosts section does not define. */
export function checkHostRef(
  value: unknown,
  at: PathSegment[],
  hosts: ReadonlySet<string>,
  issues: IssueCollector,
): void {
  if (typeof value !== 'string' || hosts.has(value)) return;
  const hint = suggest(value, [...hosts]);
  issues.add(
    at,
    `unknown host "${value}"${hint ? `; did you mean "${hint}"?` : `; defined hosts: ${[...hosts].join(', ') || '(none)'}`}`,
  );
}

/** A `{ cron: "..." }` schedule whose expression is malformed or can never fire. */
export function checkSchedule(value: unknown, at: PathSegment[], issues: IssueCollector): void {
  if (isObj(value) && typeof value.cron === 'string') {
    const err = cronError(value.cron);
    if (err) issues.add([...at, 'cron'], err);
  }
}

/** `argv` with `shell: true` must be one string, for every command in `list`. */
export function checkShellCommands(list: unknown[], at: PathSegment[], issues: IssueCollector): void {
  list.forEach((c, i) => {
    if (isObj(c) && c.shell === true && Array.isArray(c.argv) && c.argv.length !== 1) {
      issues.add([...at, i, 'argv'], 'with shell: true, argv must be one string: the shell script to run');
    }
  });
}

export function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
