// Probes and commands as every capability's section writes them (services, failover groups):
// the schema with Kubernetes' defaults, the located checks, and the normalised form.
import * as path from 'node:path';
import { z } from 'zod';
import type { CommandSpec } from '../../core/command';
import { DURATION_LIMITS, durationMs, formatDuration } from '../../core/duration';
import type { ProbeSpec, ProbeTiming } from '../../core/probe';
import type { IssueCollector } from './issues';
import { checkShellCommands, isObj, ms } from './rules';
import { commandFields, duration, stringWithRefs } from './schema';
import type { PathSegment } from './yaml';

export const probeTimingFields = {
  interval: duration({ min: 100, limit: DURATION_LIMITS.probeInterval }).default('10s'),
  timeout: duration({ min: 100, limit: DURATION_LIMITS.probeInterval }).default('1s'),
  failureThreshold: z.number().int().min(1).max(1000).default(3),
  successThreshold: z.number().int().min(1).max(1000).default(1),
  initialDelay: duration({ limit: DURATION_LIMITS.probeInterval }).default('0s'),
};

export const httpUrl = () =>
  stringWithRefs().regex(/^https?:\/\/\S+$/, { error: 'url must be an http(s) URL' });

export const probeSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('http'),
      url: httpUrl(),
      /** One status or a list; default any 2xx or 3xx. */
      expectStatus: z
        .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
        .optional(),
      bodyContains: z.string().min(1).optional(),
      ...probeTimingFields,
    }),
    z.strictObject({
      type: z.literal('tcp'),
      address: stringWithRefs().regex(/^(\[[^\]]+\]|[^:\s]*):(\d+|\$\{[A-Za-z_][A-Za-z0-9_]*\})$/, {
        error: 'address is host:port, e.g. 127.0.0.1:5432',
      }),
      ...probeTimingFields,
    }),
    z.strictObject({ type: z.literal('command'), ...commandFields('10s'), ...probeTimingFields }),
  ],
  { error: 'a probe needs a type: http, tcp or command' },
);

export type RawProbe = z.infer<typeof probeSchema>;

export function commandSpec(
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

function timing(p: {
  interval: string;
  timeout: string;
  failureThreshold: number;
  successThreshold: number;
  initialDelay: string;
}): ProbeTiming {
  return {
    intervalMs: durationMs(p.interval),
    timeoutMs: durationMs(p.timeout),
    failureThreshold: p.failureThreshold,
    successThreshold: p.successThreshold,
    initialDelayMs: durationMs(p.initialDelay),
  };
}

export function probeSpec(raw: RawProbe, baseDir: string): ProbeSpec {
  if (raw.type === 'http') {
    const expect =
      raw.expectStatus === undefined
        ? []
        : Array.isArray(raw.expectStatus)
          ? raw.expectStatus
          : [raw.expectStatus];
    return {
      type: 'http',
      url: raw.url,
      expectStatus: expect,
      bodyContains: raw.bodyContains ?? null,
      ...timing(raw),
    };
  }
  if (raw.type === 'tcp') return { type: 'tcp', address: raw.address, ...timing(raw) };
  return { type: 'command', command: commandSpec(raw, baseDir), ...timing(raw) };
}

/** Cross-field checks of a probe list: shell commands, a timeout longer than the interval. */
export function checkProbes(list: unknown, at: PathSegment[], issues: IssueCollector): void {
  if (!Array.isArray(list)) return;
  checkShellCommands(list, at, issues);
  list.forEach((p, i) => {
    if (!isObj(p)) return;
    const interval = ms(p.interval) ?? 10_000;
    const timeout = ms(p.timeout) ?? 1000;
    if (timeout > interval)
      issues.add(
        [...at, i, 'timeout'],
        `timeout ${formatDuration(timeout)} is longer than interval ${formatDuration(interval)}`,
      );
  });
}
