// The report of a DR run: each step against its target, and the recovery time and recovery
// point the run achieved against the plan's. Pure: the workflow, the CLI and tests share it.
import { formatDuration } from '../../core/duration';
import type { Decision, RunView, StepState } from './types';

export interface StepReport {
  name: string;
  group: string;
  type: string;
  state: StepState;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  targetMs: number | null;
  overTarget: boolean;
  decisions: Decision[];
  detail: string;
  output: string;
  compensation: { state: string; detail: string } | null;
  drill: string | null;
}

export interface RunReport {
  plan: string;
  run: string;
  workflowId: string;
  drill: boolean;
  startedBy: string;
  incidentAt: string;
  startedAt: string;
  endedAt: string | null;
  outcome: string;
  rto: { achievedMs: number | null; targetMs: number | null; met: boolean | null; until: string | null };
  rpo: {
    achievedMs: number | null;
    targetMs: number | null;
    met: boolean | null;
    backups: Array<{ step: string; backupAt: string; ageMs: number }>;
  };
  breaches: string[];
  undone: string[];
  steps: StepReport[];
}

const ms = (a: string | null, b: string | null): number | null =>
  a && b ? Date.parse(b) - Date.parse(a) : null;

const fmt = (v: number | null): string => (v === null ? '—' : formatMs(v));

/** 1.234 s, 2m3s: precise for short spans, readable for long ones. */
export function formatMs(v: number): string {
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 3 : 1)} s`;
  return formatDuration(Math.round(v / 1000) * 1000);
}

export function buildReport(v: RunView): RunReport {
  const incident = Date.parse(v.incidentAt);
  const steps: StepReport[] = v.steps.map((s) => {
    const d = ms(s.startedAt, s.endedAt);
    return {
      name: s.name,
      group: s.group,
      type: s.type,
      state: s.state,
      attempts: s.attempts,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      durationMs: d,
      targetMs: s.targetMs,
      overTarget: d !== null && s.targetMs !== null && d > s.targetMs,
      decisions: s.decisions,
      detail: s.detail,
      output: s.output,
      compensation: s.compensation,
      drill: s.drill,
    };
  });
  // RTO: from the incident to the end of the last critical step, if the run recovered.
  const critical = v.steps.filter((s) => s.critical && s.state === 'completed' && s.endedAt);
  const recovered = v.phase === 'completed';
  const lastEnd = critical.reduce<string | null>(
    (m, s) => (m === null || Date.parse(s.endedAt!) > Date.parse(m) ? s.endedAt : m),
    null,
  );
  const until = recovered ? (lastEnd ?? v.endedAt) : null;
  const rtoAchieved = until ? Date.parse(until) - incident : null;
  // RPO: the incident time minus the time of each backup restored; the worst counts.
  const backups = v.steps
    .filter((s) => s.backupAt && s.state === 'completed')
    .map((s) => ({ step: s.name, backupAt: s.backupAt!, ageMs: incident - Date.parse(s.backupAt!) }));
  const rpoAchieved = backups.length ? Math.max(...backups.map((b) => b.ageMs)) : null;
  const breaches: string[] = [];
  if (v.endedAt && !recovered) breaches.push(`not recovered: the run ended ${v.phase}`);
  if (rtoAchieved !== null && v.rtoMs !== null && rtoAchieved > v.rtoMs)
    breaches.push(`RTO ${formatMs(rtoAchieved)} is over the target ${formatMs(v.rtoMs)}`);
  if (rpoAchieved !== null && v.rpoMs !== null && rpoAchieved > v.rpoMs)
    breaches.push(`RPO ${formatMs(rpoAchieved)} is over the target ${formatMs(v.rpoMs)}`);
  for (const s of steps)
    if (s.overTarget)
      breaches.push(`step ${s.name} took ${formatMs(s.durationMs!)} (target ${formatMs(s.targetMs!)})`);
  for (const s of steps)
    if (s.compensation?.state === 'failed')
      breaches.push(`undoing step ${s.name} failed: ${s.compensation.detail}`);
  // A step that failed and was passed over (onFailure: continue, a drill's preconditions).
  if (recovered)
    for (const s of steps)
      if (s.state === 'failed' || s.state === 'timed-out')
        breaches.push(`step ${s.name} ${s.state}: ${s.detail}`);
  return {
    plan: v.plan,
    run: v.run,
    workflowId: v.workflowId,
    drill: v.drill,
    startedBy: v.startedBy,
    incidentAt: v.incidentAt,
    startedAt: v.startedAt,
    endedAt: v.endedAt,
    outcome: v.phase,
    rto: {
      achievedMs: rtoAchieved,
      targetMs: v.rtoMs,
      met: rtoAchieved === null || v.rtoMs === null ? null : rtoAchieved <= v.rtoMs,
      until,
    },
    rpo: {
      achievedMs: rpoAchieved,
      targetMs: v.rpoMs,
      met: rpoAchieved === null || v.rpoMs === null ? null : rpoAchieved <= v.rpoMs,
      backups,
    },
    breaches,
    undone: v.steps.filter((s) => s.compensation?.state === 'completed').map((s) => s.name),
    steps,
  };
}

const esc = (t: string): string => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const against = (got: number | null, target: number | null, met: boolean | null): string =>
  `${fmt(got)}${target !== null ? ` (target ${formatMs(target)}: ${met === null ? 'not measured' : met ? 'met' : 'BREACHED'})` : ''}`;

/** The report as Markdown, for a ticket or a post-mortem. */
export function renderReportMarkdown(r: RunReport): string[] {
  const out = [
    `# ${r.drill ? 'DR drill' : 'DR run'} ${r.workflowId}`,
    '',
    `- Plan: ${r.plan}; started by ${r.startedBy} at ${r.startedAt}; outcome: **${r.outcome}**`,
    `- Incident at: ${r.incidentAt}${r.endedAt ? `; ended ${r.endedAt}` : '; still running'}`,
    `- RTO achieved: ${against(r.rto.achievedMs, r.rto.targetMs, r.rto.met)}`,
    `- RPO achieved: ${against(r.rpo.achievedMs, r.rpo.targetMs, r.rpo.met)}${r.rpo.backups.length ? ` — ${r.rpo.backups.map((b) => `${b.step}: backup of ${b.backupAt}`).join('; ')}` : ''}`,
    `- Breaches: ${r.breaches.length ? '' : 'none'}`,
    ...r.breaches.map((b) => `  - ${b}`),
  ];
  if (r.undone.length) out.push(`- Undone on abort: ${r.undone.join(', ')}`);
  out.push(
    '',
    '| Group | Step | Type | State | Attempts | Start | Duration | Target | Decisions |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of r.steps) {
    const dec = s.decisions.map((d) => `${d.what} by ${d.by}${d.comment ? `: ${d.comment}` : ''}`).join('; ');
    out.push(
      `| ${esc(s.group)} | ${esc(s.name)} | ${s.type}${s.drill ? ` (drill: ${s.drill})` : ''} | ${s.state}${s.overTarget ? ' (over target)' : ''}${s.compensation ? `, undo ${s.compensation.state}` : ''} | ${s.attempts} | ${s.startedAt ?? '—'} | ${fmt(s.durationMs)} | ${s.targetMs === null ? '—' : formatMs(s.targetMs)} | ${esc(dec)} |`,
    );
  }
  const detailed = r.steps.filter((s) => s.detail || s.output);
  if (detailed.length) {
    out.push('', '## Step details');
    for (const s of detailed) {
      out.push('', `### ${s.name}`, '', s.detail || '(no detail)');
      if (s.output.trim()) out.push('', '```', s.output.trimEnd(), '```');
      if (s.compensation) out.push('', `Undo: ${s.compensation.state} — ${s.compensation.detail}`);
    }
  }
  return out;
}
