// Cross-field rules: things a per-field schema cannot see. They run on the raw document even
// when the schema found problems, skipping anything malformed, so that one pass reports all.
import { formatDuration, parseDuration } from '../common/duration';
import type { IssueCollector } from './issues';
import { suggest } from './issues';
import type { PathSegment } from './yaml';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function ms(v: unknown): number | undefined {
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
  path: PathSegment[],
  hosts: Set<string>,
  issues: IssueCollector,
): void {
  if (typeof value !== 'string' || hosts.has(value)) return;
  const hint = suggest(value, [...hosts]);
  issues.add(
    path,
    `unknown host "${value}"${hint ? `; did you mean "${hint}"?` : `; defined hosts: ${[...hosts].join(', ') || '(none)'}`}`,
  );
}

export function checkRules(doc: Obj, issues: IssueCollector): void {
  const hosts = uniqueNames(doc, 'hosts', 'host', issues);

  const health = doc.health;
  if (isObj(health)) {
    if (Array.isArray(health.hosts)) {
      const seen = new Set<string>();
      health.hosts.forEach((h, i) => {
        checkHostRef(h, ['health', 'hosts', i], hosts, issues);
        if (typeof h === 'string') {
          if (seen.has(h)) issues.add(['health', 'hosts', i], `host "${h}" is listed twice`);
          seen.add(h);
        }
      });
    }
    const interval = ms(health.interval ?? '30s');
    const timeout = ms(health.timeout ?? '10s');
    if (interval !== undefined && timeout !== undefined && timeout >= interval) {
      issues.add(
        ['health', health.timeout !== undefined ? 'timeout' : 'interval'],
        `timeout (${formatDuration(timeout)}) must be shorter than interval (${formatDuration(interval)}), or snapshot runs would overlap`,
      );
    }
  }
}
