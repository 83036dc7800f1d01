// The located rules of the `drPlans:` section, over the raw document (which may be malformed
// anywhere): references to hosts, backup sets, failover groups, services, receivers and people,
// one type per step, and the combinations a step cannot have.
import type { SectionContext } from '../platform/config/load';
import type { IssueCollector } from '../platform/config/issues';
import { checkProbes } from '../platform/config/probe';
import { checkHostRef, checkSchedule, isObj, items, uniqueNames } from '../platform/config/rules';
import type { Obj } from '../platform/config/rules';
import type { PathSegment } from '../platform/config/yaml';
import { resolvePeople } from './model/requests';
import { STEP_TYPES } from './model/steps';
import type { StepType } from './model/types';

/** The step types a raw step (or undo, or drill replacement) names. */
export function typeOf(raw: Obj): StepType[] {
  return STEP_TYPES.filter((t) => raw[t] !== undefined);
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

export function checkPlans(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
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
