// Config pipeline: read YAML (keeping positions) -> schema -> cross-field rules -> normalise
// -> checks of the result. The file's top level is `version`, `hosts` and one section per
// capability; each section brings its own schema, rules and normaliser. Every mistake is
// collected and reported at once; nothing downstream sees a bad config.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CRON_SHORTCUTS } from '../../core/cron';
import { durationMs } from '../../core/duration';
import { cachedConfig } from './cache';
import { ConfigError, IssueCollector } from './issues';
import { hostSchema } from './schema';
import type { RawSchedule } from './schema';
import { uniqueNames } from './rules';
import type { Obj } from './rules';
import { parseYamlWithPositions, YamlSyntaxError } from './yaml';

export interface HostConfig {
  name: string;
  description?: string;
  labels: Record<string, string>;
  /** In maintenance: nothing new is placed there, and services move away from it. */
  maintenance?: boolean;
}

/** What every config has, whatever capabilities there are. */
export interface BaseConfig {
  version: 1;
  hosts: HostConfig[];
  /** Absolute path the config was read from (or the label given for text). */
  file: string;
  /** SHA-256 of the file's bytes, for status output. */
  sha256: string;
}

/** When a job runs: a cron expression or a fixed interval. */
export type ScheduleConfig = { cron: string } | { everyMs: number };

export interface SectionContext {
  /** Directory of the config file: relative paths are relative to it. */
  baseDir: string;
  /** Host names the hosts section defines (rules) or the hosts themselves (normalise). */
  hostNames: ReadonlySet<string>;
  hosts: readonly HostConfig[];
}

/** One capability's part of the config file. */
export interface ConfigSection<Raw = unknown, Out = unknown> {
  /** Its key at the top level of the file. */
  key: string;
  schema: z.ZodType<Raw>;
  /** Cross-field rules on the raw document (which may be malformed anywhere). */
  rules?(doc: Obj, issues: IssueCollector, ctx: SectionContext): void;
  normalise(raw: Raw, ctx: SectionContext): Out;
  /** Checks of the normalised value (sizes the server would refuse, say). */
  check?(value: Out, issues: IssueCollector): void;
  /** A few words for `hactl config validate` ("health every 30s"); nothing to say: undefined. */
  summary?(value: Out): string | undefined;
}

export const DEFAULT_CONFIG_PATH = 'config/high_availability.yml';

/** Reads and validates a config file. Throws ConfigError listing every mistake. */
export function loadConfigWith(sections: readonly ConfigSection[], file: string): BaseConfig & Obj {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new ConfigError([{ file, line: 1, col: 1, path: '(file)', message: `cannot read config: ${why}` }]);
  }
  return cachedConfig(text, path.resolve(file), () => parseConfigWith(sections, text, file));
}

/** The top-level schema: version, hosts, then every section in registry order. */
export function configSchema(sections: readonly ConfigSection[]) {
  return z.strictObject({
    version: z.literal(1, { error: 'version must be 1 (the only config format so far)' }),
    hosts: z.array(hostSchema).min(1, { error: 'at least one host is required' }),
    ...Object.fromEntries(sections.map((s) => [s.key, s.schema])),
  });
}

/** Validates config text; `label` is the file name used in error lines. */
export function parseConfigWith(
  sections: readonly ConfigSection[],
  text: string,
  label: string,
): BaseConfig & Obj {
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
  const issues = new IssueCollector(label, () => parsed.positions);
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    issues.add([], 'the config must be a mapping with at least "version" and "hosts"');
    throw new ConfigError(issues.sorted());
  }
  const schema = configSchema(sections);
  const result = schema.safeParse(parsed.value, { reportInput: true });
  if (!result.success) issues.addZodIssues(result.error.issues, schema);
  const doc = parsed.value as Obj;
  const baseDir = path.dirname(path.resolve(label));
  const hostNames = uniqueNames(doc, 'hosts', 'host', issues);
  for (const s of sections) s.rules?.(doc, issues, { baseDir, hostNames, hosts: [] });
  if (!issues.ok || !result.success) throw new ConfigError(issues.sorted());

  const raw = result.data as Obj & { hosts: Array<z.infer<typeof hostSchema>> };
  const hosts: HostConfig[] = raw.hosts.map((h) => ({
    name: h.name,
    ...(h.description !== undefined ? { description: h.description } : {}),
    labels: h.labels ?? {},
    ...(h.maintenance ? { maintenance: true } : {}),
  }));
  const ctx: SectionContext = { baseDir, hostNames, hosts };
  const values = sections.map((s) => s.normalise(raw[s.key], ctx));
  const config: BaseConfig & Obj = {
    version: 1,
    hosts,
    ...Object.fromEntries(sections.map((s, i) => [s.key, values[i]])),
    file: path.resolve(label),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
  sections.forEach((s, i) => s.check?.(values[i], issues));
  if (!issues.ok) throw new ConfigError(issues.sorted());
  return config;
}

const NAMED_SCHEDULES: Record<string, string> = {
  hourly: CRON_SHORTCUTS['@hourly']!,
  daily: CRON_SHORTCUTS['@daily']!,
  weekly: CRON_SHORTCUTS['@weekly']!,
};

/** hourly | daily | weekly | {every} | {cron} -> a cron expression or an interval. */
export function normaliseSchedule(raw: RawSchedule): ScheduleConfig {
  if (typeof raw === 'string') return { cron: NAMED_SCHEDULES[raw]! };
  if ('every' in raw) return { everyMs: durationMs(raw.every) };
  const cron = raw.cron.trim();
  return { cron: CRON_SHORTCUTS[cron.toLowerCase()] ?? cron };
}
