// Config pipeline: read YAML (keeping positions) -> schema -> cross-field rules -> normalise.
// Every mistake is collected and reported at once; nothing downstream sees a bad config.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { durationMs } from '../common/duration';
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

export interface HaConfig {
  version: 1;
  hosts: HostConfig[];
  /** null when the section is absent or `enabled: false`. */
  health: HealthConfig | null;
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
  checkRules(parsed.value as Record<string, unknown>, issues);
  if (!issues.ok || !result.success) throw new ConfigError(issues.sorted());

  return normalise(result.data, label, text);
}

function normalise(raw: RawConfig, file: string, text: string): HaConfig {
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
    file: path.resolve(file),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}
