// Cross-field rules: things a per-field schema cannot see. They run on the raw document even
// when the schema found problems, skipping anything malformed, so that one pass reports all.
import * as path from 'node:path';
import { cronError } from '../common/cron';
import { formatDuration, parseDuration } from '../common/duration';
import { isValidTimeZone } from '../common/retention';
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

function checkSchedule(value: unknown, at: PathSegment[], issues: IssueCollector): void {
  if (isObj(value) && typeof value.cron === 'string') {
    const err = cronError(value.cron);
    if (err) issues.add([...at, 'cron'], err);
  }
}

function sourcePath(src: unknown): string | undefined {
  if (typeof src === 'string') return src;
  if (isObj(src) && typeof src.path === 'string') return src.path;
  return undefined;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function checkBackups(doc: Obj, hosts: Set<string>, baseDir: string, issues: IssueCollector): void {
  uniqueNames(doc, 'backups', 'backup set', issues);
  const destinations = new Map<string, number>();
  for (const { item, index } of items(doc, 'backups')) {
    const at: PathSegment[] = ['backups', index];
    checkHostRef(item.host, [...at, 'host'], hosts, issues);
    const paths = Array.isArray(item.paths) ? item.paths : [];
    const commands = Array.isArray(item.commands) ? item.commands : [];
    if (paths.length === 0 && commands.length === 0) {
      issues.add(at, 'a backup set needs at least one entry in "paths" or "commands"');
    }
    if (typeof item.timezone === 'string' && !isValidTimeZone(item.timezone)) {
      issues.add(
        [...at, 'timezone'],
        `unknown time zone "${item.timezone}" (use an IANA name such as "UTC" or "Europe/Berlin")`,
      );
    }
    checkSchedule(item.schedule, [...at, 'schedule'], issues);
    if (isObj(item.verify)) checkSchedule(item.verify.schedule, [...at, 'verify', 'schedule'], issues);
    if (isObj(item.drill)) checkSchedule(item.drill.schedule, [...at, 'drill', 'schedule'], issues);
    // Jitter delays every scheduled run of the set; as long as the interval, runs would pile up.
    const jitter = ms(item.jitter);
    if (jitter !== undefined) {
      const schedules: Array<[string, unknown]> = [
        ['schedule', item.schedule],
        ['verify.schedule', isObj(item.verify) ? item.verify.schedule : undefined],
        ['drill.schedule', isObj(item.drill) ? item.drill.schedule : undefined],
      ];
      for (const [name, s] of schedules) {
        const every = isObj(s) ? ms(s.every) : undefined;
        if (every !== undefined && jitter >= every) {
          issues.add(
            [...at, 'jitter'],
            `jitter (${formatDuration(jitter)}) must be shorter than ${name} every ${formatDuration(every)}, or runs would pile up`,
          );
          break;
        }
      }
    }

    const resolved: Array<{ abs: string; i: number }> = [];
    paths.forEach((src, i) => {
      const p = sourcePath(src);
      if (p === undefined) return;
      const where = typeof src === 'string' ? [...at, 'paths', i] : [...at, 'paths', i, 'path'];
      if (p.startsWith('~')) {
        issues.add(
          where,
          `"${p}": "~" is not expanded; write an absolute path or one relative to the config file`,
        );
        return;
      }
      const abs = path.resolve(baseDir, p);
      if (abs === '/')
        issues.add(where, 'backing up "/" as a whole is not supported; list the directories you need');
      if (inside(abs, '/commands'))
        issues.add(where, `"${p}" collides with the archive's commands/ directory for command output`);
      resolved.push({ abs, i });
    });

    const names = new Set<string>();
    commands.forEach((c, i) => {
      if (!isObj(c) || typeof c.name !== 'string') return;
      if (names.has(c.name))
        issues.add([...at, 'commands', i, 'name'], `duplicate command name "${c.name}" in this set`);
      names.add(c.name);
    });
    // Everything that runs a command: dump commands and both kinds of hooks.
    const hooks = isObj(item.hooks) ? item.hooks : {};
    const runnable: Array<[PathSegment[], unknown[]]> = [
      [[...at, 'commands'], commands],
      [[...at, 'hooks', 'pre'], Array.isArray(hooks.pre) ? hooks.pre : []],
      [[...at, 'hooks', 'post'], Array.isArray(hooks.post) ? hooks.post : []],
    ];
    for (const [where, list] of runnable) {
      list.forEach((c, i) => {
        if (isObj(c) && c.shell === true && Array.isArray(c.argv) && c.argv.length !== 1) {
          issues.add(
            [...where, i, 'argv'],
            'with shell: true, argv must be one string: the shell script to run',
          );
        }
      });
    }

    if (typeof item.destination === 'string') {
      if (item.destination.startsWith('~')) {
        issues.add(
          [...at, 'destination'],
          '"~" is not expanded; write an absolute path or one relative to the config file',
        );
        continue;
      }
      const dest = path.resolve(baseDir, item.destination);
      const other = destinations.get(dest);
      if (other !== undefined) {
        issues.add(
          [...at, 'destination'],
          `destination is already used by backups[${other}]; each set needs its own directory`,
        );
      } else destinations.set(dest, index);
      for (const { abs, i } of resolved) {
        if (inside(dest, abs)) {
          issues.add(
            [...at, 'destination'],
            `destination is inside the backed-up path ${abs} (paths[${i}]); backups would contain themselves`,
          );
        } else if (inside(abs, dest)) {
          issues.add([...at, 'paths', i], `${abs} is inside the destination ${dest}`);
        }
      }
    }
  }
}

export function checkRules(doc: Obj, issues: IssueCollector, baseDir = process.cwd()): void {
  const hosts = uniqueNames(doc, 'hosts', 'host', issues);
  checkBackups(doc, hosts, baseDir, issues);

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
