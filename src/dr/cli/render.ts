// What `hactl dr list|status|runs` and the DR part of `hactl status` print. Pure.
import { describeSchedule } from '../../platform/reconcile/desired';
import { formatTable } from '../../platform/cli/table';
import type { RunSummary } from '../client';
import { formatMs } from '../model/report';
import type { PlanSpec, RunView } from '../model/types';

export function renderPlans(plans: readonly PlanSpec[]): string[] {
  if (!plans.length) return ['No DR plans (add them under "drPlans:" in the config).'];
  return formatTable(
    ['PLAN', 'STEPS', 'RTO', 'RPO', 'CONTACTS', 'DRILLS', 'DESCRIPTION'],
    plans.map((p) => [
      p.name,
      `${p.groups.reduce((n, g) => n + g.steps.length, 0)} in ${p.groups.length} group(s)`,
      p.rtoMs === null ? '-' : formatMs(p.rtoMs),
      p.rpoMs === null ? '-' : formatMs(p.rpoMs),
      p.contacts.map((c) => `${c.name} (${c.role})`).join(', ') || '-',
      p.drillSchedule ? describeSchedule(p.drillSchedule, 'UTC') : 'on demand',
      p.description,
    ]),
  );
}

const span = (a: string | null, b: string | null, now: number): string =>
  a ? formatMs((b ? Date.parse(b) : now) - Date.parse(a)) : '-';

export function renderRun(v: RunView, now = Date.now()): string[] {
  const out = [
    `${v.workflowId}: ${v.drill ? 'drill, ' : ''}${v.phase}${v.paused ? ' (paused)' : ''}; started by ${v.startedBy} at ${v.startedAt}; incident at ${v.incidentAt}`,
    ...formatTable(
      ['GROUP', 'STEP', 'TYPE', 'STATE', 'TRIES', 'TIME', 'TARGET', 'DETAIL'],
      v.steps.map((s) => [
        s.group,
        s.name,
        s.type,
        `${s.state}${s.compensation ? ` (undo ${s.compensation.state})` : ''}`,
        String(s.attempts),
        span(s.startedAt, s.endedAt, now),
        s.targetMs === null ? '-' : formatMs(s.targetMs),
        s.detail.split('\n')[0]!.slice(0, 100),
      ]),
    ).map((l) => `  ${l}`),
  ];
  for (const s of v.steps.filter((x) => x.state === 'awaiting-approval' && x.approval)) {
    const a = s.approval!;
    out.push(
      '',
      `${s.name} ${s.asking ? 'failed and waits for retry, skip or abort' : `awaits approval: ${a.question}`}`,
      `  ${s.asking ? 'who may answer' : `approvers (${a.approvedBy.length} of ${a.needed})`}: ${a.allowed.join(', ') || 'anyone'}${a.approvedBy.length ? `; approved by ${a.approvedBy.join(', ')}` : ''}`,
      ...(s.asking ? ['retry', 'skip'] : ['approve', 'reject']).map(
        (verb) => `  hactl dr ${verb} ${v.workflowId} ${s.name} --as NAME [--comment TEXT]`,
      ),
    );
  }
  if (v.cleanup.length) out.push('', 'Drill cleanup:', ...v.cleanup.map((c) => `  ${c}`));
  const recent = v.log.slice(-5);
  if (recent.length) out.push('', 'Log:', ...recent.map((l) => `  ${l.at}  ${l.text}`));
  return out;
}

export function renderRuns(runs: readonly RunSummary[]): string[] {
  if (!runs.length) return ['No DR runs yet (hactl dr run PLAN starts one; --drill for a drill).'];
  return formatTable(
    ['RUN', 'STATUS', 'STATE', 'STARTED', 'ENDED'],
    runs.map((r) => [r.workflowId, r.status, r.state, r.startedAt, r.closedAt ?? '-']),
  );
}

/** DR's part of `hactl status`: plans and the runs still going. */
export function renderDrStatus(d: { plans: number; running: RunSummary[] } | null): string[] {
  if (!d || (!d.plans && !d.running.length)) return [];
  return [
    `DR plans: ${d.plans}; runs in progress: ${d.running.length}`,
    ...d.running.map((r) => `  ${r.workflowId}: ${r.state || 'starting'} (since ${r.startedAt})`),
  ];
}
