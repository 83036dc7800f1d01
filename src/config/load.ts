// Config pipeline: read YAML (keeping positions) -> schema -> cross-field rules -> normalise.
// Every mistake is collected and reported at once; nothing downstream sees a bad config.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BackupSetSpec, CommandSpec, HookSpec } from '../common/backup';
import { CRON_SHORTCUTS } from '../common/cron';
import { durationMs } from '../common/duration';
import type { RetentionPolicy } from '../common/retention';
import { ConfigError, IssueCollector } from './issues';
import { configSchema } from './schema';
import type { RawConfig } from './schema';
import { checkRules } from './rules';
import { parseYamlWithPositions, YamlSyntaxError } from './yaml';

export interface HostConfig {
  name: string;
  description?: string;
  labels: Record<string, string>;
}

export interface HealthConfig {
  intervalMs: number;
  timeoutMs: number;
  hosts: string[];
}

/** When a job runs: a cron expression or a fixed interval. */
export type ScheduleConfig = { cron: string } | { everyMs: number };

export interface BackupSetConfig {
  spec: BackupSetSpec;
  schedule: ScheduleConfig | null;
  jitterMs: number | null;
  verify: { schedule: ScheduleConfig; sample: number } | null;
  drill: { schedule: ScheduleConfig } | null;
}

export interface HaConfig {
  version: 1;
  hosts: HostConfig[];
  /** null when the section is absent or `enabled: false`. */
  health: HealthConfig | null;
  backups: BackupSetConfig[];
  /** Absolute path the config was read from (or the label given for text). */
  file: string;
  /** SHA-256 of the file's bytes, for status output. */
  sha256: string;
}

export const DEFAULT_CONFIG_PATH = 'config/high_availability.yml';

/** Reads and validates a config file. Throws ConfigError listing every mistake. */
export function loadConfig(file: string = DEFAULT_CONFIG_PATH): HaConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new ConfigError([{ file, line: 1, col: 1, path: '(file)', message: `cannot read config: ${why}` }]);
  }
  return parseConfig(text, file);
}

/** Validates config text; `label` is the file name used in error lines. */
export function parseConfig(text: string, label: string): HaConfig {
  let parsed;
  try {
    parsed = parseYamlWithPositions(text, label);
  } catch (err) {
    if (err instanceof YamlSyntaxError) {
      throw new ConfigError([
        {
          file: label,
          line: err.position.line,
          col: err.position.col,
          path: '(yaml)',
          message: `YAML syntax: ${err.reason}`,
        },
      ]);
    }
    throw err;
  }
  const issues = new IssueCollector(label, parsed.positions);
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    issues.add([], 'the config must be a mapping with at least "version" and "hosts"');
    throw new ConfigError(issues.sorted());
  }

  const result = configSchema.safeParse(parsed.value, { reportInput: true });
  if (!result.success) issues.addZodIssues(result.error.issues, configSchema);
  const baseDir = path.dirname(path.resolve(label));
  checkRules(parsed.value as Record<string, unknown>, issues, baseDir);
  if (!issues.ok || !result.success) throw new ConfigError(issues.sorted());

  const config = normalise(result.data, label, text, baseDir);
  checkSizes(config, issues);
  if (!issues.ok) throw new ConfigError(issues.sorted());
  return config;
}

/**
 * Largest workflow input a backup set may produce. Its spec travels in the Schedule and in
 * the history of every run several times; the server refuses payloads over 2 MiB and gRPC
 * messages over 4 MiB, so a set is stopped here, with its position, rather than half-applied.
 */
export const MAX_SET_SPEC_BYTES = 256 * 1024;

function kib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

function checkSizes(config: HaConfig, issues: IssueCollector): void {
  config.backups.forEach((b, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(b.spec));
    if (bytes <= MAX_SET_SPEC_BYTES) return;
    const excludes = b.spec.sources.reduce((n, s) => n + s.exclude.length, 0);
    issues.add(
      ['backups', index],
      `backup set "${b.spec.set}" is too large for the Temporal server: its spec is ${kib(bytes)} ` +
        `(${b.spec.sources.length} path(s), ${excludes} exclude pattern(s) in all, ${b.spec.commands.length} command(s)), ` +
        `the limit is ${kib(MAX_SET_SPEC_BYTES)}; use fewer, broader patterns (one "cache/" pattern covers every cache directory)`,
    );
  });
}

const NAMED_SCHEDULES: Record<string, string> = {
  hourly: CRON_SHORTCUTS['@hourly']!,
  daily: CRON_SHORTCUTS['@daily']!,
  weekly: CRON_SHORTCUTS['@weekly']!,
};

function schedule(raw: RawConfig['backups'][number]['schedule']): ScheduleConfig | null {
  if (raw === undefined) return null;
  if (typeof raw === 'string') return { cron: NAMED_SCHEDULES[raw]! };
  if ('every' in raw) return { everyMs: durationMs(raw.every) };
  const cron = raw.cron.trim();
  return { cron: CRON_SHORTCUTS[cron.toLowerCase()] ?? cron };
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

function retention(raw: RawConfig['backups'][number]['retention']): RetentionPolicy {
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

function backupSet(raw: RawConfig['backups'][number], baseDir: string): BackupSetConfig {
  const hook = (h: RawConfig['backups'][number]['hooks']['pre'][number]): HookSpec => ({
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
    schedule: schedule(raw.schedule),
    jitterMs: raw.jitter !== undefined ? durationMs(raw.jitter) : null,
    verify: raw.verify ? { schedule: schedule(raw.verify.schedule)!, sample: raw.verify.sample } : null,
    drill: raw.drill ? { schedule: schedule(raw.drill.schedule)! } : null,
  };
}

function normalise(raw: RawConfig, file: string, text: string, baseDir: string): HaConfig {
  const hosts = raw.hosts.map((h) => ({
    name: h.name,
    ...(h.description !== undefined ? { description: h.description } : {}),
    labels: h.labels ?? {},
  }));
  const health = raw.health?.enabled
    ? {
        intervalMs: durationMs(raw.health.interval),
        timeoutMs: durationMs(raw.health.timeout),
        hosts: raw.health.hosts ?? hosts.map((h) => h.name),
      }
    : null;
  return {
    version: 1,
    hosts,
    health,
    backups: raw.backups.map((b) => backupSet(b, baseDir)),
    file: path.resolve(file),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}
