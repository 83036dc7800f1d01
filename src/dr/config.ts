// The `drPlans:` section: each plan's targets (RTO, RPO), contacts, critical resources and its
// ordered groups of steps. A step is one of the step types (a key naming it) plus the common
// fields (timeout, retries, onFailure, compensate, drill, target, critical). References to
// hosts, backup sets, failover groups, services, receivers and approvers are checked and located.
// The located rules over the raw document are in ./config-rules.ts.
import * as path from 'node:path';
import { z } from 'zod';
import { DURATION_LIMITS, durationMs } from '../core/duration';
import type { ConfigSection, SectionContext } from '../platform/config/load';
import { normaliseSchedule } from '../platform/config/load';
import { commandSpec, httpUrl, probeSchema, probeSpec } from '../platform/config/probe';
import { commandFields, duration, name, scheduleSchema, stringWithRefs } from '../platform/config/schema';
import { defaultDrill } from './model/steps';
import type { PlanSpec, StepAction, StepSpec, StepType } from './model/types';
import { checkPlans, typeOf } from './config-rules';

const LONG = DURATION_LIMITS.commandTimeout;
const person = () =>
  z.string().regex(/^(role:)?[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a person's name or role:<role>`,
  });

const actionFields = {
  command: z.strictObject({ host: name(), ...commandFields('5m') }).optional(),
  http: z
    .strictObject({
      host: name().optional(),
      url: httpUrl(),
      method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
      body: stringWithRefs().optional(),
      expectStatus: z.array(z.number().int().min(100).max(599)).optional(),
      expectBody: z.string().min(1).optional(),
      timeout: duration({ min: 100, limit: DURATION_LIMITS.receiverTimeout }).default('10s'),
    })
    .optional(),
  restore: z
    .strictObject({
      set: name(),
      /** "latest" or an ISO time: the newest backup at or before it. */
      at: z.string().default('latest'),
      /** A directory (relative: to this file's directory); or inPlace: true. */
      to: z.string().min(1).optional(),
      /** Back into the paths the backup was taken from (each staged beside itself, then swapped). */
      inPlace: z.boolean().optional(),
      host: name().optional(),
    })
    .optional(),
  backup: z.strictObject({ set: name() }).optional(),
  'verify-backup': z
    .strictObject({ set: name(), maxAge: duration({ min: 1000, limit: LONG }).optional() })
    .optional(),
  failover: z.strictObject({ group: name(), to: name().optional() }).optional(),
  service: z
    .strictObject({
      service: name(),
      action: z.enum(['scale', 'restart', 'wait-healthy']).default('wait-healthy'),
      instances: z.number().int().min(0).max(1000).optional(),
      waitTimeout: duration({ min: 1000, limit: LONG }).default('5m'),
    })
    .optional(),
  health: z
    .strictObject({
      hosts: z.array(name()).default([]),
      probes: z.array(probeSchema).default([]),
      /** The host whose worker runs the probes. */
      from: name().optional(),
    })
    .optional(),
  wait: z
    .strictObject({
      duration: duration({ min: 0, limit: LONG }).optional(),
      until: probeSchema.optional(),
      from: name().optional(),
    })
    .optional(),
  approval: z
    .strictObject({
      approvers: z.array(person()).min(1, { error: 'name at least one approver (a person or role:<role>)' }),
      count: z.number().int().min(1).max(100).default(1),
      timeout: duration({ min: 1000, limit: LONG }).optional(),
      onTimeout: z.enum(['abort', 'continue', 'escalate']).default('abort'),
      escalateTo: z.array(person()).default([]),
      allowSelfApproval: z.boolean().default(false),
      question: z.string().optional(),
    })
    .optional(),
  notify: z
    .strictObject({
      message: z.string().min(1),
      severity: z.enum(['info', 'warning', 'critical']).default('info'),
    })
    .optional(),
} satisfies Record<StepType, unknown>; // one field per step type, no more, no fewer

const actionSchema = z.strictObject(actionFields);
type RawAction = z.infer<typeof actionSchema>;

const stepSchema = z.strictObject({
  name: name(),
  ...actionFields,
  timeout: duration({ min: 1000, limit: LONG }).optional(),
  retries: z.number().int().min(0).max(100).default(0),
  onFailure: z.enum(['abort', 'continue', 'ask']).default('abort'),
  compensate: actionSchema.optional(),
  drill: z.union([z.enum(['run', 'skip']), actionSchema]).optional(),
  target: duration({ min: 1, limit: LONG }).optional(),
  critical: z.boolean().optional(),
});
type RawStep = z.infer<typeof stepSchema>;

export const planSchema = z.strictObject({
  name: name(),
  description: z.string().default(''),
  rto: duration({ min: 1000, limit: LONG }).optional(),
  rpo: duration({ min: 1000, limit: DURATION_LIMITS.keepWithin }).optional(),
  contacts: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/, { error: 'a contact name is a plain name, e.g. ann' }),
        role: z.string().min(1).default('contact'),
        receivers: z.array(name()).default([]),
      }),
    )
    .default([]),
  critical: z
    .strictObject({
      hosts: z.array(name()).default([]),
      services: z.array(name()).default([]),
      backupSets: z.array(name()).default([]),
      failoverGroups: z.array(name()).default([]),
    })
    .default({ hosts: [], services: [], backupSets: [], failoverGroups: [] }),
  approvers: z.array(person()).default([]),
  drill: z.strictObject({ schedule: scheduleSchema }).optional(),
  groups: z
    .array(
      z.strictObject({
        name: name(),
        steps: z.array(stepSchema).min(1, { error: 'a group needs at least one step' }),
      }),
    )
    .min(1, { error: 'a plan needs at least one group of steps' }),
});
type RawPlan = z.infer<typeof planSchema>;

function action(raw: RawAction, ctx: SectionContext, at: string): StepAction {
  const t = typeOf(raw)[0]!;
  const base = ctx.baseDir;
  switch (t) {
    case 'command': {
      const c = raw.command!;
      return { type: 'command', host: c.host, command: commandSpec(c, base) };
    }
    case 'http': {
      const h = raw.http!;
      return {
        type: 'http',
        host: h.host ?? null,
        http: {
          url: h.url,
          method: h.method,
          body: h.body ?? null,
          expectStatus: h.expectStatus ?? [],
          expectBody: h.expectBody ?? null,
          timeoutMs: durationMs(h.timeout),
        },
      };
    }
    case 'restore': {
      const r = raw.restore!;
      return {
        type: 'restore',
        set: r.set,
        at: r.at === 'latest' ? null : new Date(Date.parse(r.at)).toISOString(),
        to: r.to !== undefined ? path.resolve(base, r.to) : null, // relative: to the config file's directory
        host: r.host ?? null,
      };
    }
    case 'backup':
      return { type: 'backup', set: raw.backup!.set };
    case 'verify-backup': {
      const v = raw['verify-backup']!;
      return { type: 'verify-backup', set: v.set, maxAgeMs: v.maxAge ? durationMs(v.maxAge) : null };
    }
    case 'failover':
      return { type: 'failover', group: raw.failover!.group, to: raw.failover!.to ?? null };
    case 'service': {
      const s = raw.service!;
      return {
        type: 'service',
        service: s.service,
        action: s.action,
        instances: s.instances ?? null,
        waitTimeoutMs: durationMs(s.waitTimeout),
      };
    }
    case 'health': {
      const h = raw.health!;
      return {
        type: 'health',
        hosts: h.hosts,
        probes: h.probes.map((p) => probeSpec(p, base)),
        from: h.from ?? h.hosts[0] ?? null,
      };
    }
    case 'wait': {
      const w = raw.wait!;
      return {
        type: 'wait',
        durationMs: w.duration !== undefined ? durationMs(w.duration) : null,
        until: w.until ? probeSpec(w.until, base) : null,
        from: w.from ?? null,
      };
    }
    case 'approval': {
      const a = raw.approval!;
      return {
        type: 'approval',
        approvers: {
          names: a.approvers,
          count: a.count,
          timeoutMs: a.timeout ? durationMs(a.timeout) : null,
          onTimeout: a.onTimeout,
          escalateTo: a.escalateTo,
          allowSelfApproval: a.allowSelfApproval,
        },
        question: a.question ?? `approve ${at}?`,
      };
    }
    case 'notify':
      return { type: 'notify', message: raw.notify!.message, severity: raw.notify!.severity };
  }
}

function step(raw: RawStep, ctx: SectionContext): StepSpec {
  const a = action(raw, ctx, `step ${raw.name}`);
  const drill = raw.drill ?? defaultDrill(a.type);
  return {
    name: raw.name,
    action: a,
    timeoutMs: raw.timeout ? durationMs(raw.timeout) : null,
    retries: raw.retries,
    onFailure: raw.onFailure,
    compensate: raw.compensate ? action(raw.compensate, ctx, `undo of ${raw.name}`) : null,
    drill: typeof drill === 'string' ? drill : action(drill, ctx, `drill of ${raw.name}`),
    targetMs: raw.target ? durationMs(raw.target) : null,
    critical: raw.critical ?? a.type !== 'notify',
  };
}

function plan(raw: RawPlan, ctx: SectionContext): PlanSpec {
  return {
    name: raw.name,
    description: raw.description,
    rtoMs: raw.rto ? durationMs(raw.rto) : null,
    rpoMs: raw.rpo ? durationMs(raw.rpo) : null,
    contacts: raw.contacts,
    critical: raw.critical,
    approvers: raw.approvers,
    groups: raw.groups.map((g) => ({ name: g.name, steps: g.steps.map((s) => step(s, ctx)) })),
    drillSchedule: raw.drill ? normaliseSchedule(raw.drill.schedule) : null,
  };
}

export const drSection: ConfigSection<RawPlan[], PlanSpec[]> = {
  key: 'drPlans',
  schema: z.array(planSchema).default([]),
  rules: checkPlans,
  normalise: (raw, ctx) => raw.map((p) => plan(p, ctx)),
  summary: (plans) =>
    plans.length
      ? `${plans.length} DR plan(s): ${plans.map((p) => `${p.name} (${p.groups.reduce((n, g) => n + g.steps.length, 0)} steps)`).join(', ')}`
      : undefined,
};
