// The shape of config/high_availability.yml. Structure only: cross-field rules (unknown hosts,
// duplicates, timeouts versus intervals) live in rules.ts, normalisation in load.ts.
import { z } from 'zod';
import { parseDuration } from '../common/duration';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NAME_HINT = 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 characters';

export const name = () =>
  z.string().regex(NAME_PATTERN, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a valid name: use ${NAME_HINT}`,
  });

/** A duration string such as "30s"; numbers are refused because their unit would be a guess. */
export const duration = (opts: { min?: number } = {}) =>
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
    });

export const hostSchema = z.strictObject({
  name: name(),
  description: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const healthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How often every host is sampled. */
  interval: duration({ min: 1000 }).default('30s'),
  /** A host whose worker does not answer within this time is reported down. */
  timeout: duration({ min: 1000 }).default('10s'),
  /** Hosts to sample; default: all. */
  hosts: z.array(name()).optional(),
});

export const configSchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1 (the only config format so far)' }),
  hosts: z.array(hostSchema).min(1, { error: 'at least one host is required' }),
  health: healthSchema.optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
