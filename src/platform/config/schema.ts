// Schema pieces that every capability's config section is built from: names, bounded
// durations, ${ENV} references, commands, schedules, and the hosts list. Structure only:
// cross-field rules live with each section, normalisation too.
import { z } from 'zod';
import { durationTooLong, parseDuration, DURATION_LIMITS } from '../../core/duration';
import { NAME_PATTERN } from '../../core/names';

export { NAME_PATTERN };
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
  /** Nothing new is placed on a host in maintenance, and services move away from it. */
  maintenance: z.boolean().optional(),
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

/** Fields of a command run on a host; spread into a section's own command schema. */
export const commandFields = (defaultTimeout: string) => ({
  argv: argv(),
  timeout: duration({ min: 1000, limit: DURATION_LIMITS.commandTimeout }).default(defaultTimeout),
  env: z.record(z.string(), stringWithRefs()).optional(),
  /** Run argv[0] through /bin/sh -c; only when explicitly asked for. */
  shell: z.boolean().default(false),
  cwd: z.string().optional(),
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

export type RawSchedule = z.infer<typeof scheduleSchema>;
