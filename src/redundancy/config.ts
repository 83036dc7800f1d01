// The `services:` section: each service, where it may run, how many instances, how to start,
// stop and check it on a host, its probes (Kubernetes' meanings and defaults) and its restart
// ladder (restarts in place, then a move, with backoff; never giving up unless told to).
import { z } from 'zod';
import type { CommandSpec } from '../core/command';
import { DURATION_LIMITS, durationMs, formatDuration } from '../core/duration';
import type { ConfigSection, HostConfig, SectionContext } from '../platform/config/load';
import type { IssueCollector } from '../platform/config/issues';
import { checkHostRef, checkShellCommands, isObj, items, ms, uniqueNames } from '../platform/config/rules';
import type { Obj } from '../platform/config/rules';
import { checkProbes, commandSpec, probeSchema, probeSpec } from '../platform/config/probe';
import { commandFields, duration, name } from '../platform/config/schema';
import type { PathSegment } from '../platform/config/yaml';
import { MAX_INSTANCES } from './model/requests';
import type { ServiceSpec } from './model/types';

const commandSchema = z.strictObject(commandFields('30s'));

export const serviceSchema = z.strictObject({
  name: name(),
  /** Where it may run: a list of hosts, or `{ labels: { role: web } }`; default every host. */
  hosts: z
    .union([z.array(name()).min(1), z.strictObject({ labels: z.record(z.string(), z.string()) })])
    .optional(),
  minInstances: z.number().int().min(0).max(MAX_INSTANCES).default(1),
  /** Instances above minInstances that are tolerated (not stopped); default minInstances. */
  maxInstances: z.number().int().min(0).max(MAX_INSTANCES).optional(),
  /** Instances one host may hold; default 1 (spread over hosts). */
  maxPerHost: z.number().int().min(1).max(MAX_INSTANCES).default(1),
  /** Shorthand for start/stop/status through systemctl. */
  systemd: z
    .string()
    .regex(/^[A-Za-z0-9@._:-]+$/, { error: 'a systemd unit name' })
    .optional(),
  start: commandSchema.optional(),
  stop: commandSchema.optional(),
  /** Exit 0 = running; used before a start so that a start is never run twice. */
  status: commandSchema.optional(),
  probes: z.array(probeSchema).default([]),
  restart: z
    .strictObject({
      /** Restarts in place allowed within `window` before the instance moves to another host. */
      inPlace: z.number().int().min(0).max(1000).default(3),
      window: duration({ min: 1000, limit: DURATION_LIMITS.restartWindow }).default('10m'),
      backoff: z
        .strictObject({
          initial: duration({ min: 100, limit: DURATION_LIMITS.restartWindow }).default('10s'),
          max: duration({ min: 100, limit: DURATION_LIMITS.restartWindow }).default('5m'),
          factor: z.number().min(1).max(10).default(2),
          jitter: z.number().min(0).max(1).default(0.1),
        })
        .default({ initial: '10s', max: '5m', factor: 2, jitter: 0.1 }),
      /** Stop trying after failing this long; default never. */
      giveUpAfter: duration({ min: 1000, limit: DURATION_LIMITS.restartWindow }).optional(),
      /** Healthy this long and the backoff starts over. */
      resetAfter: duration({ min: 1000, limit: DURATION_LIMITS.restartWindow }).default('10m'),
    })
    .default({
      inPlace: 3,
      window: '10m',
      backoff: { initial: '10s', max: '5m', factor: 2, jitter: 0.1 },
      resetAfter: '10m',
    }),
});

type RawService = z.infer<typeof serviceSchema>;

export interface ServiceConfig {
  spec: ServiceSpec;
}

function systemctl(verb: string[], unit: string): CommandSpec {
  return { argv: ['systemctl', ...verb, unit], timeoutMs: 90_000, env: {}, shell: false };
}

/** Hosts a service may run on: a list, a label selector, or every host. */
export function serviceHosts(raw: RawService['hosts'], hosts: readonly HostConfig[]): string[] {
  if (raw === undefined) return hosts.map((h) => h.name);
  if (Array.isArray(raw)) return raw;
  return hosts
    .filter((h) => Object.entries(raw.labels).every(([k, v]) => h.labels[k] === v))
    .map((h) => h.name);
}

function service(raw: RawService, ctx: SectionContext): ServiceConfig {
  const unit = raw.systemd;
  const start = raw.start ? commandSpec(raw.start, ctx.baseDir) : systemctl(['start'], unit!);
  const stop = raw.stop ? commandSpec(raw.stop, ctx.baseDir) : systemctl(['stop'], unit!);
  const status = raw.status
    ? commandSpec(raw.status, ctx.baseDir)
    : unit
      ? systemctl(['is-active', '--quiet'], unit)
      : null;
  const probes = raw.probes.map((p) => probeSpec(p, ctx.baseDir));
  // Without probes, the status command is the probe (with Kubernetes' default timing).
  if (!probes.length && status)
    probes.push({
      type: 'command',
      command: status,
      intervalMs: 10_000,
      timeoutMs: Math.min(status.timeoutMs, 10_000),
      failureThreshold: 3,
      successThreshold: 1,
      initialDelayMs: 0,
    });
  const r = raw.restart;
  return {
    spec: {
      name: raw.name,
      hosts: serviceHosts(raw.hosts, ctx.hosts),
      minInstances: raw.minInstances,
      maxInstances: Math.max(raw.maxInstances ?? raw.minInstances, raw.minInstances),
      maxPerHost: raw.maxPerHost,
      start,
      stop,
      status,
      probes,
      restart: {
        inPlace: r.inPlace,
        windowMs: durationMs(r.window),
        backoff: {
          initialMs: durationMs(r.backoff.initial),
          maxMs: durationMs(r.backoff.max),
          factor: r.backoff.factor,
          jitter: r.backoff.jitter,
        },
        giveUpAfterMs: r.giveUpAfter !== undefined ? durationMs(r.giveUpAfter) : null,
        resetAfterMs: durationMs(r.resetAfter),
      },
    },
  };
}

function checkServices(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
  uniqueNames(doc, 'services', 'service', issues);
  for (const { item, index } of items(doc, 'services')) {
    const at: PathSegment[] = ['services', index];
    const has = (k: string): boolean => item[k] !== undefined;
    if (has('systemd') && (has('start') || has('stop')))
      issues.add([...at, 'systemd'], 'use either systemd: <unit> or start/stop commands, not both');
    if (!has('systemd')) {
      for (const k of ['start', 'stop'])
        if (!has(k)) issues.add(at, `service needs a ${k} command (argv), or systemd: <unit> for systemctl`);
    }
    if (!has('systemd') && !has('status') && (!Array.isArray(item.probes) || item.probes.length === 0))
      issues.add(at, 'service needs probes or a status command: without them its health cannot be seen');
    if (Array.isArray(item.hosts))
      item.hosts.forEach((h, i) => checkHostRef(h, [...at, 'hosts', i], ctx.hostNames, issues));
    const min = typeof item.minInstances === 'number' ? item.minInstances : 1;
    if (typeof item.maxInstances === 'number' && item.maxInstances < min)
      issues.add([...at, 'maxInstances'], `maxInstances ${item.maxInstances} is below minInstances ${min}`);
    checkShellCommands(
      ['start', 'stop', 'status'].map((k) => item[k]),
      at,
      issues,
    );
    checkProbes(item.probes, [...at, 'probes'], issues);
    const r = item.restart;
    if (isObj(r) && isObj(r.backoff)) {
      const a = ms(r.backoff.initial);
      const b = ms(r.backoff.max);
      if (a !== undefined && b !== undefined && a > b)
        issues.add(
          [...at, 'restart', 'backoff', 'max'],
          `max ${formatDuration(b)} is below initial ${formatDuration(a)}`,
        );
    }
  }
}

export const servicesSection: ConfigSection<RawService[], ServiceConfig[]> = {
  key: 'services',
  schema: z.array(serviceSchema).default([]),
  rules: checkServices,
  normalise: (raw, ctx) => raw.map((s) => service(s, ctx)),
  check(services, issues) {
    services.forEach((s, index) => {
      const { spec } = s;
      if (!spec.hosts.length)
        issues.add(
          ['services', index, 'hosts'],
          `service "${spec.name}": no host matches its hosts selector`,
        );
      else if (spec.minInstances > spec.hosts.length * spec.maxPerHost)
        issues.add(
          ['services', index, 'minInstances'],
          `service "${spec.name}" wants ${spec.minInstances} instances but ${spec.hosts.length} host(s) × maxPerHost ${spec.maxPerHost} hold at most ${spec.hosts.length * spec.maxPerHost}`,
        );
    });
  },
  summary: (services) =>
    services.length
      ? `${services.length} service(s): ${services.map((s) => `${s.spec.name} ×${s.spec.minInstances}`).join(', ')}`
      : undefined,
};
