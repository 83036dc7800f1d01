// The `backups:` section: one entry per backup set — what to archive on which host, where the
// archives go, when, how long they are kept, hooks, and verify and drill schedules.
import * as path from 'node:path';
import { z } from 'zod';
import type { CommandSpec } from '../core/command';
import { DURATION_LIMITS, durationMs, formatDuration } from '../core/duration';
import { formatBytes } from '../core/format';
import type { ConfigSection, ScheduleConfig, SectionContext } from '../platform/config/load';
import { normaliseSchedule } from '../platform/config/load';
import type { IssueCollector } from '../platform/config/issues';
import {
  checkHostRef,
  checkSchedule,
  checkShellCommands,
  inside,
  isObj,
  items,
  ms,
  uniqueNames,
} from '../platform/config/rules';
import type { Obj } from '../platform/config/rules';
import { commandFields, duration, name, scheduleSchema } from '../platform/config/schema';
import type { PathSegment } from '../platform/config/yaml';
import { isValidTimeZone } from './model/retention';
import type { RetentionPolicy } from './model/retention';
import type { BackupSetSpec, HookSpec } from './model/types';

export interface BackupSetConfig {
  spec: BackupSetSpec;
  schedule: ScheduleConfig | null;
  jitterMs: number | null;
  verify: { schedule: ScheduleConfig; sample: number } | null;
  drill: { schedule: ScheduleConfig } | null;
}

export const hookSchema = z.strictObject({
  ...commandFields('5m'),
  onError: z.enum(['fail', 'continue']).default('fail'),
});

export const backupCommandSchema = z.strictObject({
  /** File name of the command's stdout inside the archive (under commands/). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is not a valid file name: use letters, digits, ".", "_" and "-"`,
  }),
  ...commandFields('10m'),
});

const keepCount = () =>
  z.union([z.number().int().min(0), z.literal('unlimited')], {
    error: (iss) => `expected a whole number >= 0 or "unlimited", got ${JSON.stringify(iss.input)}`,
  });

export const retentionSchema = z.strictObject({
  keepLast: keepCount().optional(),
  keepHourly: keepCount().optional(),
  keepDaily: keepCount().optional(),
  keepWeekly: keepCount().optional(),
  keepMonthly: keepCount().optional(),
  keepYearly: keepCount().optional(),
  keepWithin: duration({ limit: DURATION_LIMITS.keepWithin }).optional(),
});

const sourceSchema = z.union([
  z.string().min(1),
  z.strictObject({ path: z.string().min(1), exclude: z.array(z.string().min(1)).default([]) }),
]);

export const backupSchema = z.strictObject({
  name: name(),
  host: name(),
  /** Files and directories to archive. */
  paths: z.array(sourceSchema).default([]),
  /** Glob patterns excluded under every path. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Commands whose stdout is stored as commands/<name> in the archive. */
  commands: z.array(backupCommandSchema).default([]),
  destination: z.string().min(1),
  schedule: scheduleSchema.optional(),
  timezone: z.string().default('UTC'),
  jitter: duration({ limit: DURATION_LIMITS.jitter }).optional(),
  retention: retentionSchema.default({}),
  gzipLevel: z.number().int().min(1).max(9).default(6),
  hooks: z
    .strictObject({ pre: z.array(hookSchema).default([]), post: z.array(hookSchema).default([]) })
    .default({ pre: [], post: [] }),
  verify: z.strictObject({ schedule: scheduleSchema, sample: z.number().int().min(1).default(1) }).optional(),
  drill: z.strictObject({ schedule: scheduleSchema }).optional(),
});

type RawSet = z.infer<typeof backupSchema>;

function sourcePath(src: unknown): string | undefined {
  if (typeof src === 'string') return src;
  if (isObj(src) && typeof src.path === 'string') return src.path;
  return undefined;
}

function checkBackups(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
  uniqueNames(doc, 'backups', 'backup set', issues);
  const destinations = new Map<string, number>();
  for (const { item, index } of items(doc, 'backups')) {
    const at: PathSegment[] = ['backups', index];
    checkHostRef(item.host, [...at, 'host'], ctx.hostNames, issues);
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
      const abs = path.resolve(ctx.baseDir, p);
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
    checkShellCommands(commands, [...at, 'commands'], issues);
    checkShellCommands(Array.isArray(hooks.pre) ? hooks.pre : [], [...at, 'hooks', 'pre'], issues);
    checkShellCommands(Array.isArray(hooks.post) ? hooks.post : [], [...at, 'hooks', 'post'], issues);

    if (typeof item.destination === 'string') {
      if (item.destination.startsWith('~')) {
        issues.add(
          [...at, 'destination'],
          '"~" is not expanded; write an absolute path or one relative to the config file',
        );
        continue;
      }
      const dest = path.resolve(ctx.baseDir, item.destination);
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

function command(
  raw: { argv: string[]; timeout: string; env?: Record<string, string>; shell: boolean; cwd?: string },
  baseDir: string,
): CommandSpec {
  return {
    argv: raw.argv,
    timeoutMs: durationMs(raw.timeout),
    env: raw.env ?? {},
    shell: raw.shell,
    ...(raw.cwd !== undefined ? { cwd: path.resolve(baseDir, raw.cwd) } : {}),
  };
}

function retention(raw: RawSet['retention']): RetentionPolicy {
  const out: RetentionPolicy = {};
  for (const k of [
    'keepLast',
    'keepHourly',
    'keepDaily',
    'keepWeekly',
    'keepMonthly',
    'keepYearly',
  ] as const) {
    if (raw[k] !== undefined) out[k] = raw[k];
  }
  if (raw.keepWithin !== undefined) out.keepWithinMs = durationMs(raw.keepWithin);
  return out;
}

function backupSet(raw: RawSet, baseDir: string): BackupSetConfig {
  const hook = (h: RawSet['hooks']['pre'][number]): HookSpec => ({
    ...command(h, baseDir),
    onError: h.onError,
  });
  const spec: BackupSetSpec = {
    set: raw.name,
    host: raw.host,
    sources: raw.paths.map((p) =>
      typeof p === 'string'
        ? { path: path.resolve(baseDir, p), exclude: [...raw.exclude] }
        : { path: path.resolve(baseDir, p.path), exclude: [...raw.exclude, ...p.exclude] },
    ),
    commands: raw.commands.map((c) => ({ name: c.name, ...command(c, baseDir) })),
    destination: path.resolve(baseDir, raw.destination),
    gzipLevel: raw.gzipLevel,
    timezone: raw.timezone,
    retention: retention(raw.retention),
    hooks: { pre: raw.hooks.pre.map(hook), post: raw.hooks.post.map(hook) },
  };
  return {
    spec,
    schedule: raw.schedule === undefined ? null : normaliseSchedule(raw.schedule),
    jitterMs: raw.jitter !== undefined ? durationMs(raw.jitter) : null,
    verify: raw.verify
      ? { schedule: normaliseSchedule(raw.verify.schedule), sample: raw.verify.sample }
      : null,
    drill: raw.drill ? { schedule: normaliseSchedule(raw.drill.schedule) } : null,
  };
}

/**
 * Largest workflow input a backup set may produce. Its spec travels in the Schedule and in
 * the history of every run several times; the server refuses payloads over 2 MiB and gRPC
 * messages over 4 MiB, so a set is stopped here, with its position, rather than half-applied.
 */
export const MAX_SET_SPEC_BYTES = 256 * 1024;

export const backupSection: ConfigSection<RawSet[], BackupSetConfig[]> = {
  key: 'backups',
  schema: z.array(backupSchema).default([]),
  rules: checkBackups,
  normalise: (raw, ctx) => raw.map((b) => backupSet(b, ctx.baseDir)),
  summary: (sets) =>
    sets.length ? `${sets.length} backup set(s): ${sets.map((b) => b.spec.set).join(', ')}` : undefined,
  check(sets, issues) {
    sets.forEach((b, index) => {
      const bytes = Buffer.byteLength(JSON.stringify(b.spec));
      if (bytes <= MAX_SET_SPEC_BYTES) return;
      const excludes = b.spec.sources.reduce((n, s) => n + s.exclude.length, 0);
      issues.add(
        ['backups', index],
        `backup set "${b.spec.set}" is too large for the Temporal server: its spec is ${formatBytes(bytes)} ` +
          `(${b.spec.sources.length} path(s), ${excludes} exclude pattern(s) in all, ${b.spec.commands.length} command(s)), ` +
          `the limit is ${formatBytes(MAX_SET_SPEC_BYTES)}; use fewer, broader patterns (one "cache/" pattern covers every cache directory)`,
      );
    });
  },
};
