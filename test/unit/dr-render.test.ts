// What `hactl dr list|status|runs` and the DR part of `hactl status` print. Pure.
import { renderDrStatus, renderPlans, renderRun, renderRuns } from '../../src/dr/cli/render';
import type { PlanSpec, RunView } from '../../src/dr/model/types';
import { runOf, stepOf as step } from '../helpers/dr';

const run: RunView = runOf(
  [
    step('stop', {
      state: 'completed',
      attempts: 1,
      startedAt: '2026-11-27T10:00:01.000Z',
      endedAt: '2026-11-27T10:00:03.500Z',
      targetMs: 30_000,
      detail: 'exit 0',
    }),
    step('go', {
      type: 'approval',
      state: 'awaiting-approval',
      approval: { allowed: ['ann', 'bob'], needed: 2, approvedBy: ['ann'], question: 'restore now?' },
    }),
    step('load', {
      state: 'awaiting-approval',
      asking: true,
      attempts: 2,
      approval: { allowed: ['cy'], needed: 1, approvedBy: [], question: 'x' },
    }),
  ],
  {
    paused: true,
    log: [{ at: '2026-11-27T10:00:05.000Z', text: 'paused by cy' }],
    rtoMs: 1_800_000,
    rpoMs: null,
  },
);

describe('DR rendering', () => {
  it('a run: steps with state, tries, time and target; how to answer what waits; the log', () => {
    const out = renderRun(run, Date.parse('2026-11-27T10:01:00.000Z')).join('\n');
    expect(out).toContain('dr:orders:r1: running (paused); started by zed at 2026-11-27T10:00:00.000Z');
    expect(out).toMatch(/g\s+stop\s+command\s+completed\s+1\s+2\.500 s\s+30\.0 s\s+exit 0/);
    expect(out).toContain('go awaits approval: restore now?');
    expect(out).toContain('approvers (1 of 2): ann, bob; approved by ann');
    expect(out).toContain('hactl dr approve dr:orders:r1 go --as NAME [--comment TEXT]');
    expect(out).toContain('load failed and waits for retry, skip or abort');
    expect(out).toContain('hactl dr retry dr:orders:r1 load --as NAME [--comment TEXT]');
    expect(out).toContain('2026-11-27T10:00:05.000Z  paused by cy');
  });

  it('plans, runs and the status section; nothing to say says so', () => {
    const plan = {
      name: 'orders',
      description: 'bring it back',
      rtoMs: 1_800_000,
      rpoMs: 3_600_000,
      contacts: [{ name: 'ann', role: 'dba', receivers: [] }],
      groups: [{ name: 'g', steps: [{}, {}] }],
      drillSchedule: { cron: '0 3 1 */3 *' },
    } as unknown as PlanSpec;
    expect(renderPlans([plan]).join('\n')).toMatch(
      /orders\s+2 in 1 group\(s\)\s+30m\s+1h\s+ann \(dba\)\s+cron "0 3 1 \*\/3 \*" UTC\s+bring it back/,
    );
    expect(renderPlans([])).toEqual(['No DR plans (add them under "drPlans:" in the config).']);
    const r = {
      workflowId: 'dr:orders:r1',
      plan: 'orders',
      run: 'r1',
      status: 'RUNNING',
      state: 'awaiting-approval:go',
      startedAt: run.startedAt,
      closedAt: null,
    };
    expect(renderRuns([r]).join('\n')).toMatch(/dr:orders:r1\s+RUNNING\s+awaiting-approval:go/);
    expect(renderDrStatus({ plans: 1, running: [r] })).toEqual([
      'DR plans: 1; runs in progress: 1',
      '  dr:orders:r1: awaiting-approval:go (since 2026-11-27T10:00:00.000Z)',
    ]);
    expect(renderDrStatus({ plans: 0, running: [] })).toEqual([]);
  });
});
