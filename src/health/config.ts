// The `health:` section: how often every host is sampled, and when a silent host counts as down.
import { z } from 'zod';
import { DURATION_LIMITS, durationMs, formatDuration } from '../core/duration';
import type { ConfigSection } from '../platform/config/load';
import { checkHostRef, isObj, ms } from '../platform/config/rules';
import { duration, name } from '../platform/config/schema';

export interface HealthConfig {
  intervalMs: number;
  timeoutMs: number;
  hosts: string[];
}

export const healthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How often every host is sampled. */
  interval: duration({ min: 1000, limit: DURATION_LIMITS.healthInterval }).default('30s'),
  /** A host whose worker does not answer within this time is reported down. */
  timeout: duration({ min: 250, limit: DURATION_LIMITS.healthTimeout }).default('10s'),
  /** Hosts to sample; default: all. */
  hosts: z.array(name()).optional(),
});

type RawHealth = z.infer<typeof healthSchema> | undefined;

/** Absent or `enabled: false` means no snapshots: the value is then null. */
export const healthSection: ConfigSection<RawHealth, HealthConfig | null> = {
  key: 'health',
  schema: healthSchema.optional(),
  rules(doc, issues, ctx) {
    const health = doc.health;
    if (!isObj(health)) return;
    if (Array.isArray(health.hosts)) {
      const seen = new Set<string>();
      health.hosts.forEach((h, i) => {
        checkHostRef(h, ['health', 'hosts', i], ctx.hostNames, issues);
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
  },
  summary: (h) => (h ? `health every ${formatDuration(h.intervalMs)}` : 'health off'),
  normalise(raw, ctx) {
    if (!raw?.enabled) return null;
    return {
      intervalMs: durationMs(raw.interval),
      timeoutMs: durationMs(raw.timeout),
      hosts: raw.hosts ?? ctx.hosts.map((h) => h.name),
    };
  },
};
