// The `drPlans:` section: each plan's targets (RTO, RPO), contacts, critical resources and its
// ordered groups of steps. A step is one of the step types (a key naming it) plus the common
// fields (timeout, retries, onFailure, compensate, drill, target, critical). References to
// hosts, backup sets, failover groups, services, receivers and approvers are checked and located.
// Over 400 lines on purpose: eleven step types with their schemas, references and normal forms.
import * as path from 'node:path';
import { z } from 'zod';
import { DURATION_LIMITS, durationMs } from '../core/duration';
import type { ConfigSection, SectionContext } from '../platform/config/load';
import { normaliseSchedule } from '../platform/config/load';
import type { IssueCollector } from '../platform/config/issues';
import { checkProbes, commandSpec, httpUrl, probeSchema, probeSpec } from '../platform/config/probe';
import { checkHostRef, checkSchedule, isObj, items, uniqueNames } from '../platform/config/rules';
import type { Obj } from '../platform/config/rules';
import { commandFields, duration, name, scheduleSchema, stringWithRefs } from '../platform/config/schema';
import type { PathSegment } from '../platform/config/yaml';
import { defaultDrill } from './model/steps';
import type { PlanSpec, StepAction, StepSpec, StepType } from './model/types';
import { resolvePeople } from './model/requests';

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
};
const STEP_TYPES = Object.keys(actionFields) as StepType[];

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

function typeOf(raw: Obj): StepType[] {
  return STEP_TYPES.filter((t) => raw[t] !== undefined);
}

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

// ---- located cross-references ----

function namesIn(doc: Obj, section: string, key = 'name'): Set<string> {
  const out = new Set<string>();
  for (const { item } of items(doc, section)) if (typeof item[key] === 'string') out.add(item[key]);
  return out;
}

function receiversIn(doc: Obj): Set<string> {
  const n = doc.notifications;
  return isObj(n) ? namesIn(n, 'receivers') : new Set();
}

function checkRef(
  value: unknown,
  known: ReadonlySet<string>,
  what: string,
  where: string,
  at: PathSegment[],
  issues: IssueCollector,
): void {
  if (typeof value !== 'string' || known.has(value)) return;
  issues.add(
    at,
    `unknown ${what} "${value}"; ${known.size ? `defined: ${[...known].join(', ')}` : `none is defined under "${where}"`}`,
  );
}

interface Refs {
  hosts: ReadonlySet<string>;
  sets: ReadonlySet<string>;
  groups: ReadonlySet<string>;
  services: ReadonlySet<string>;
  contacts: Array<{ name: string; role: string; receivers: string[] }>;
}

function checkPeople(list: unknown, at: PathSegment[], refs: Refs, issues: IssueCollector): number {
  if (!Array.isArray(list)) return 0;
  list.forEach((p, i) => {
    if (typeof p !== 'string' || !p.startsWith('role:')) return;
    const role = p.slice(5);
    if (!refs.contacts.some((c) => c.role === role))
      issues.add(
        [...at, i],
        `no contact has role "${role}" (roles: ${[...new Set(refs.contacts.map((c) => c.role))].join(', ') || 'none'})`,
      );
  });
  return resolvePeople(
    list.filter((p): p is string => typeof p === 'string'),
    refs.contacts,
  ).length;
}

function checkAction(a: Obj, at: PathSegment[], refs: Refs, issues: IssueCollector): void {
  const types = typeOf(a);
  if (types.length !== 1) {
    issues.add(
      at,
      types.length
        ? `a step does one thing: found ${types.join(' and ')}`
        : `a step needs one of: ${STEP_TYPES.join(', ')}`,
    );
    return;
  }
  const t = types[0]!;
  const v = a[t];
  if (!isObj(v)) return;
  const here = [...at, t];
  if (t === 'command' && v.shell === true && Array.isArray(v.argv) && v.argv.length !== 1)
    issues.add([...here, 'argv'], 'with shell: true, argv must be one string: the shell script to run');
  if (t === 'command' || t === 'http' || t === 'restore')
    checkHostRef(v.host ?? undefined, [...here, 'host'], refs.hosts, issues);
  if (t === 'restore' || t === 'backup' || t === 'verify-backup')
    checkRef(v.set, refs.sets, 'backup set', 'backups', [...here, 'set'], issues);
  if (t === 'restore') {
    if ((v.to === undefined) === (v.inPlace !== true))
      issues.add(here, 'a restore has either to: <directory> or inPlace: true');
    if (typeof v.at === 'string' && v.at !== 'latest' && Number.isNaN(Date.parse(v.at)))
      issues.add(
        [...here, 'at'],
        `at is "latest" or an ISO time such as 2026-11-27T02:00:00Z, got "${v.at}"`,
      );
  }
  if (t === 'failover')
    checkRef(v.group, refs.groups, 'failover group', 'failover', [...here, 'group'], issues);
  if (t === 'service') {
    checkRef(v.service, refs.services, 'service', 'services', [...here, 'service'], issues);
    if (v.action === 'scale' && typeof v.instances !== 'number')
      issues.add([...here, 'instances'], 'scale needs instances');
  }
  if (t === 'health') {
    if (Array.isArray(v.hosts))
      v.hosts.forEach((h, i) => checkHostRef(h, [...here, 'hosts', i], refs.hosts, issues));
    checkHostRef(v.from ?? undefined, [...here, 'from'], refs.hosts, issues);
    checkProbes(v.probes, [...here, 'probes'], issues);
    const noHosts = !Array.isArray(v.hosts) || v.hosts.length === 0;
    if (Array.isArray(v.probes) && v.probes.length && v.from === undefined && noHosts)
      issues.add([...here, 'from'], 'probes need a host to run them from: from: <host>');
    if (noHosts && (!Array.isArray(v.probes) || !v.probes.length))
      issues.add(here, 'a health step checks hosts, probes or both');
  }
  if (t === 'wait') {
    if ((v.duration === undefined) === (v.until === undefined))
      issues.add(here, 'a wait has either duration or until (a probe)');
    if (v.until !== undefined && v.from === undefined)
      issues.add([...here, 'from'], 'until needs the host that probes: from: <host>');
    checkHostRef(v.from ?? undefined, [...here, 'from'], refs.hosts, issues);
  }
  if (t === 'approval') {
    const n = checkPeople(v.approvers, [...here, 'approvers'], refs, issues);
    checkPeople(v.escalateTo, [...here, 'escalateTo'], refs, issues);
    if (typeof v.count === 'number' && n && v.count > n)
      issues.add([...here, 'count'], `count ${v.count} is more than the ${n} approver(s) named`);
    if (v.onTimeout === 'escalate' && (!Array.isArray(v.escalateTo) || !v.escalateTo.length))
      issues.add([...here, 'escalateTo'], 'onTimeout: escalate needs escalateTo (who decides next)');
    if (v.onTimeout !== undefined && v.timeout === undefined)
      issues.add([...here, 'timeout'], `onTimeout: ${JSON.stringify(v.onTimeout)} needs a timeout`);
  }
}

function checkPlans(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
  uniqueNames(doc, 'drPlans', 'DR plan', issues);
  for (const { item, index } of items(doc, 'drPlans')) {
    const at: PathSegment[] = ['drPlans', index];
    const contacts = items(item, 'contacts')
      .map(({ item: c }) => c)
      .filter((c) => typeof c.name === 'string')
      .map((c) => ({
        name: c.name as string,
        role: typeof c.role === 'string' ? c.role : 'contact',
        receivers: Array.isArray(c.receivers) ? (c.receivers as string[]) : [],
      }));
    const refs: Refs = {
      hosts: ctx.hostNames,
      sets: namesIn(doc, 'backups'),
      groups: namesIn(doc, 'failover'),
      services: namesIn(doc, 'services'),
      contacts,
    };
    const receivers = receiversIn(doc);
    for (const { item: c, index: i } of items(item, 'contacts'))
      if (Array.isArray(c.receivers))
        c.receivers.forEach((r, j) =>
          checkRef(
            r,
            receivers,
            'receiver',
            'notifications.receivers',
            [...at, 'contacts', i, 'receivers', j],
            issues,
          ),
        );
    checkPeople(item.approvers, [...at, 'approvers'], refs, issues);
    const crit = isObj(item.critical) ? item.critical : {};
    const lists: Array<[string, ReadonlySet<string>, string, string]> = [
      ['backupSets', refs.sets, 'backup set', 'backups'],
      ['failoverGroups', refs.groups, 'failover group', 'failover'],
      ['services', refs.services, 'service', 'services'],
    ];
    for (const [k, known, what, where] of lists)
      if (Array.isArray(crit[k]))
        crit[k].forEach((v, i) => checkRef(v, known, what, where, [...at, 'critical', k, i], issues));
    if (Array.isArray(crit.hosts))
      crit.hosts.forEach((h, i) => checkHostRef(h, [...at, 'critical', 'hosts', i], ctx.hostNames, issues));
    if (isObj(item.drill)) checkSchedule(item.drill.schedule, [...at, 'drill', 'schedule'], issues);
    const seen = new Map<string, string>();
    for (const { item: g, index: gi } of items(item, 'groups')) {
      for (const { item: s, index: si } of items(g, 'steps')) {
        const sat: PathSegment[] = [...at, 'groups', gi, 'steps', si];
        if (typeof s.name === 'string') {
          if (s.name === 'preconditions')
            issues.add([...sat, 'name'], '"preconditions" is the name of the checks every run starts with');
          else if (seen.has(s.name))
            issues.add(
              [...sat, 'name'],
              `duplicate step name "${s.name}" (also in group ${seen.get(s.name)}); step names are unique in a plan`,
            );
          seen.set(s.name, typeof g.name === 'string' ? g.name : String(gi));
        }
        checkAction(s, sat, refs, issues);
        if (isObj(s.compensate)) checkAction(s.compensate, [...sat, 'compensate'], refs, issues);
        if (isObj(s.drill)) checkAction(s.drill, [...sat, 'drill'], refs, issues);
        if (isObj(s.compensate) && typeOf(s.compensate).includes('approval'))
          issues.add(
            [...sat, 'compensate'],
            'an undo cannot wait for approval: it runs while the plan is aborted',
          );
        if (s.approval !== undefined && (s.retries !== undefined || s.onFailure !== undefined))
          issues.add(
            sat,
            'retries and onFailure do not apply to an approval step (use its timeout and onTimeout)',
          );
      }
    }
  }
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
