// The pure rules of DR runs: who may decide what and when (the validators of every update and
// signal), and the report's RTO and RPO accounting.
import { buildReport, renderReportMarkdown } from '../../src/dr/model/report';
import { checkDecision, resolvePeople, runDeciders } from '../../src/dr/model/requests';
import type { DecisionVerb } from '../../src/dr/model/requests';
import type { PlanSpec, RunView } from '../../src/dr/model/types';
import { runOf, stepOf } from '../helpers/dr';

const plan: PlanSpec = {
  name: 'orders',
  description: '',
  rtoMs: 60_000,
  rpoMs: 3_600_000,
  contacts: [
    { name: 'ann', role: 'dba', receivers: [] },
    { name: 'bob', role: 'dba', receivers: [] },
    { name: 'cy', role: 'manager', receivers: [] },
  ],
  critical: { hosts: [], services: [], backupSets: [], failoverGroups: [] },
  approvers: [],
  groups: [
    {
      name: 'g',
      steps: [
        {
          name: 'go',
          action: {
            type: 'approval',
            approvers: {
              names: ['role:dba'],
              count: 2,
              timeoutMs: null,
              onTimeout: 'abort',
              escalateTo: [],
              allowSelfApproval: false,
            },
            question: 'go?',
          },
          timeoutMs: null,
          retries: 0,
          onFailure: 'abort',
          compensate: null,
          drill: 'run',
          targetMs: null,
          critical: true,
        },
      ],
    },
  ],
  drillSchedule: null,
};

const awaiting = stepOf('go', {
  type: 'approval',
  state: 'awaiting-approval',
  approval: { allowed: ['ann', 'bob'], needed: 2, approvedBy: ['ann'], question: 'go?' },
});
const asking = stepOf('restore', {
  state: 'awaiting-approval',
  asking: true,
  approval: { allowed: ['ann', 'bob', 'cy'], needed: 1, approvedBy: [], question: 'failed: retry?' },
});
const running = stepOf('copy', { state: 'executing' });
const done = stepOf('stop', { state: 'completed' });

describe('who decides', () => {
  it('resolves roles to people, and the run’s deciders default to every contact', () => {
    expect(resolvePeople(['role:dba', 'zoe'], plan.contacts)).toEqual(['ann', 'bob', 'zoe']);
    expect(runDeciders(plan)).toEqual(['ann', 'bob', 'cy']);
    expect(runDeciders({ ...plan, approvers: ['role:manager'] })).toEqual(['cy']);
  });

  const run = runOf([stepOf('preconditions', { state: 'completed' }), awaiting, asking, running, done]);
  const cases: Array<[DecisionVerb, object, string | null, RunView?]> = [
    ['approve', { step: 'go', by: 'bob' }, null],
    ['approve', { by: 'bob', comment: 'ok' }, 'several steps await approval (go, restore): name one'],
    ['approve', { by: 'bob' }, null, runOf([awaiting])],
    [
      'approve',
      { step: 'nope', by: 'bob' },
      'no step "nope" in plan orders (steps: preconditions, go, restore, copy, stop)',
    ],
    ['approve', { step: 'go', by: 'cy' }, 'cy may not approve step go (approvers: ann, bob)'],
    ['approve', { step: 'go', by: 'ann' }, 'ann approved step go already'],
    ['approve', { step: 'stop', by: 'ann' }, 'step stop is not awaiting approval (it is completed)'],
    [
      'approve',
      { step: 'restore', by: 'ann' },
      'step restore failed and asks: retry, skip or abort (approve does not answer that)',
    ],
    ['approve', { step: 'go' }, 'by (who decides) must be a non-empty string'],
    [
      'approve',
      { step: 'go', by: 'bob' },
      'bob started this run and may not approve its steps (self-approval is off)',
      runOf([awaiting], { startedBy: 'bob' }),
    ],
    ['reject', { step: 'go', by: 'bob', comment: 'not now' }, null],
    [
      'approve',
      { by: 'anyone' },
      null,
      runOf([
        stepOf('preconditions', {
          type: 'preconditions',
          state: 'awaiting-approval',
          approval: { allowed: [], needed: 1, approvedBy: [], question: 'proceed?' },
        }),
      ]),
    ],
    ['retry', { step: 'restore', by: 'cy' }, null],
    ['retry', { step: 'copy', by: 'cy' }, 'step copy is not waiting for a retry (it is executing)'],
    [
      'retry',
      { step: 'restore', by: 'mallory' },
      'mallory may not retry runs of orders (allowed: ann, bob, cy)',
    ],
    ['skip', { step: 'copy', by: 'ann' }, null],
    ['skip', { step: 'restore', by: 'ann' }, null],
    ['skip', { step: 'go', by: 'ann' }, 'approval step go is approved or rejected, not skipped'],
    [
      'skip',
      { step: 'preconditions', by: 'ann' },
      'step preconditions is approved or rejected, not skipped',
      runOf([stepOf('preconditions', { type: 'preconditions', state: 'awaiting-approval' })]),
    ],
    [
      'skip',
      { step: 'stop', by: 'ann' },
      'step stop is completed: only a step that has not finished can be skipped',
    ],
    ['skip', { by: 'ann' }, 'skip needs the step\u2019s name'.replace('\u2019', "'")],
    ['abort', { by: 'cy', comment: 'wrong site' }, null],
    ['abort', { by: 'cy' }, 'dr:orders:r1 is being aborted already', runOf([], { phase: 'aborting' })],
    [
      'abort',
      { by: 'cy' },
      'dr:orders:r1 is over (completed): nothing to abort',
      runOf([], { phase: 'completed' }),
    ],
    ['pause', { by: 'ann' }, null],
    ['pause', { by: 'ann' }, 'dr:orders:r1 is paused already', runOf([], { paused: true })],
    ['resume', { by: 'ann' }, 'dr:orders:r1 is not paused'],
    ['resume', { by: 'ann' }, null, runOf([], { paused: true })],
  ];
  it.each(cases)('%s %j → %s', (verb, req, expected, r = run) => {
    expect(checkDecision(verb, req as never, plan, r)).toBe(expected);
  });
});

describe('the report', () => {
  const completed = runOf(
    [
      stepOf('preconditions', { state: 'completed', critical: false }),
      stepOf('restore', {
        state: 'completed',
        startedAt: '2026-11-27T10:00:01.000Z',
        endedAt: '2026-11-27T10:00:31.000Z',
        targetMs: 20_000,
        backupAt: '2026-11-27T09:00:00.000Z',
      }),
      stepOf('check', {
        state: 'completed',
        startedAt: '2026-11-27T10:00:31.000Z',
        endedAt: '2026-11-27T10:00:40.000Z',
      }),
      stepOf('tell', { state: 'completed', critical: false, endedAt: '2026-11-27T10:05:00.000Z' }),
    ],
    { phase: 'completed', endedAt: '2026-11-27T10:05:00.000Z' },
  );

  it('RTO runs from the incident to the last critical step; RPO is the incident minus the backup restored', () => {
    const r = buildReport(completed);
    expect(r.rto).toEqual({
      achievedMs: 160_000,
      targetMs: 60_000,
      met: false,
      until: '2026-11-27T10:00:40.000Z',
    });
    expect(r.rpo).toMatchObject({ achievedMs: 58 * 60_000, targetMs: 3_600_000, met: true });
    expect(r.breaches).toEqual([
      'RTO 2m40s is over the target 1m',
      'step restore took 30.0 s (target 20.0 s)',
    ]);
    expect(r.steps.find((s) => s.name === 'restore')).toMatchObject({ durationMs: 30_000, overTarget: true });
  });

  it('an aborted run did not recover: no RTO, a breach, and what was undone', () => {
    const v = runOf(
      [
        stepOf('stop', {
          state: 'compensated',
          compensation: { state: 'completed', detail: 'started again' },
        }),
        stepOf('copy', { state: 'cancelled' }),
      ],
      { phase: 'aborted', endedAt: '2026-11-27T10:01:00.000Z' },
    );
    const r = buildReport(v);
    expect(r.rto.achievedMs).toBeNull();
    expect(r.breaches).toEqual(['not recovered: the run ended aborted']);
    expect(r.undone).toEqual(['stop']);
    const md = renderReportMarkdown(r).join('\n');
    expect(md).toContain('- Undone on abort: stop');
    expect(md).toContain('| g | copy | command | cancelled | 0 |');
  });

  it('Markdown names the targets and whether they were met, and escapes table cells', () => {
    const v = structuredClone(completed);
    v.steps[2]!.decisions.push({ what: 'approve', by: 'ann', at: v.startedAt, comment: 'a | b' });
    const md = renderReportMarkdown(buildReport(v)).join('\n');
    expect(md).toContain('- RTO achieved: 2m40s (target 1m: BREACHED)');
    expect(md).toContain(
      '- RPO achieved: 58m (target 1h: met) — restore: backup of 2026-11-27T09:00:00.000Z',
    );
    expect(md).toContain('approve by ann: a \\| b');
  });
});
