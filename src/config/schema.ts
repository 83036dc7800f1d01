// The shape of config/high_availability.yml. Structure only: cross-field rules (unknown hosts,
// duplicates, timeouts versus intervals) live in rules.ts, normalisation in load.ts.
import { z } from 'zod';
import { DURATION_LIMITS, durationTooLong, parseDuration } from '../common/duration';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NAME_HINT = 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 characters';

export const name = () =>
  z.string().regex(NAME_PATTERN, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a valid name: use ${NAME_HINT}`,
  });

/**
 * A duration string such as "30s"; numbers are refused because their unit would be a guess.
 * Every duration has an upper bound that fits its use (DURATION_LIMITS).
 */
export const duration = (opts: { min?: number; limit: { max: number; why: string } }) =>
  z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `durations need a unit: write "${iss.input}s" or "${iss.input}m", not ${iss.input}`
          : undefined,
    })
    .superRefine((text, ctx) => {
      const r = parseDuration(text);
      if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
      else if (opts.min !== undefined && r.ms < opts.min)
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is too short: the minimum is ${opts.min / 1000}s`,
        });
      else {
        const long = durationTooLong(r.ms, opts.limit);
        if (long) ctx.addIssue({ code: 'custom', message: `"${text}": ${long}` });
      }
    });

export const hostSchema = z.strictObject({
  name: name(),
  description: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const healthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How often every host is sampled. */
  interval: duration({ min: 1000, limit: DURATION_LIMITS.healthInterval }).default('30s'),
  /** A host whose worker does not answer within this time is reported down. */
  timeout: duration({ min: 1000, limit: DURATION_LIMITS.healthTimeout }).default('10s'),
  /** Hosts to sample; default: all. */
  hosts: z.array(name()).optional(),
});

/** `${ENV_NAME}` references are resolved on the host that runs the command, never here. */
const ENV_REF = /\$\{([^}]*)\}/g;
export const stringWithRefs = () =>
  z.string().superRefine((text, ctx) => {
    for (const m of text.matchAll(ENV_REF)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!)) {
        ctx.addIssue({
          code: 'custom',
          message: `"\${${m[1]}}" is not a valid environment variable reference (use \${NAME})`,
        });
      }
    }
  });

const argv = () =>
  z
    .array(stringWithRefs(), { error: 'argv must be a list of strings, e.g. ["pg_dump", "-Fc", "app"]' })
    .min(1, { error: 'argv needs at least the program to run' });

const commandBase = {
  argv: argv(),
  timeout: duration({ min: 1000, limit: DURATION_LIMITS.commandTimeout }).default('10m'),
  env: z.record(z.string(), stringWithRefs()).optional(),
  /** Run argv[0] through /bin/sh -c; only when explicitly asked for. */
  shell: z.boolean().default(false),
  cwd: z.string().optional(),
};

export const hookSchema = z.strictObject({
  ...commandBase,
  timeout: duration({ min: 1000, limit: DURATION_LIMITS.commandTimeout }).default('5m'),
  onError: z.enum(['fail', 'continue']).default('fail'),
});

export const backupCommandSchema = z.strictObject({
  /** File name of the command's stdout inside the archive (under commands/). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is not a valid file name: use letters, digits, ".", "_" and "-"`,
  }),
  ...commandBase,
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

/** hourly | daily | weekly | { every: 15m } | { cron: "0 2 * * *" } */
export const scheduleSchema = z.union(
  [
    z.enum(['hourly', 'daily', 'weekly'], {
      error: (iss) =>
        `expected hourly, daily, weekly, {every: 15m} or {cron: "0 2 * * *"}, got ${JSON.stringify(iss.input)}`,
    }),
    z.strictObject({ every: duration({ min: 1000, limit: DURATION_LIMITS.scheduleEvery }) }),
    z.strictObject({ cron: z.string() }),
  ],
  { error: 'expected hourly, daily, weekly, {every: 15m} or {cron: "0 2 * * *"}' },
);

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

export const configSchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1 (the only config format so far)' }),
  hosts: z.array(hostSchema).min(1, { error: 'at least one host is required' }),
  health: healthSchema.optional(),
  backups: z.array(backupSchema).default([]),
});

export type RawConfig = z.infer<typeof configSchema>;
