// dr:<plan>:<run> with mocked step activities, on the suite's server: groups in order and steps
// in parallel, approvals (count, validators, signals, timeouts with each outcome), retries and
// onFailure, abort during a parallel group with undo newest first, pause, preconditions that
// fail, and drills that skip, use scratch and clean up. RTO and RPO come out of the report.
// Over 400 lines on purpose: one fake fleet serves every path of the plan workflow.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import { DR_IDS } from '../../src/dr/model/ids';
import type { DrRunInput, PlanSpec, RunView, StepAction, StepSpec } from '../../src/dr/model/types';
import type { drPlanWorkflow } from '../../workflows/dr/plan';
import { decisionSignals, decisionUpdates, runQuery } from '../../workflows/dr/messages';
import { testEnv, waitFor } from '../helpers';
import { unique, withMockedActivities } from './harness';

const env = testEnv(__filename);
const HOST = 'alpha';
// An hour before the run, so that the plan's 1-day RPO holds whatever day the suite runs.
const BACKUP_AT = new Date(Date.now() - 3_600_000).toISOString();

const cmd = (name: string, extra: Partial<StepSpec> = {}): StepSpec => ({
  name,
  action: {
    type: 'command',
    host: HOST,
    command: { argv: [name], timeoutMs: 30_000, env: {}, shell: false },
  },
  timeoutMs: null,
  retries: 0,
  onFailure: 'abort',
  compensate: null,
  drill: 'skip',
  targetMs: null,
  critical: true,
  ...extra,
});
const undoOf = (name: string): StepAction => ({
  type: 'command',
  host: HOST,
  command: { argv: [`undo-${name}`], timeoutMs: 30_000, env: {}, shell: false },
});
const approval = (
  name: string,
  a: Partial<Extract<StepAction, { type: 'approval' }>['approvers']> = {},
): StepSpec => ({
  ...cmd(name),
  action: {
    type: 'approval',
    approvers: {
      names: ['role:dba'],
      count: 1,
      timeoutMs: null,
      onTimeout: 'abort',
      escalateTo: [],
      allowSelfApproval: false,
      ...a,
    },
    question: `may ${name} go on?`,
  },
  drill: 'run',
});
const restore = (name: string): StepSpec => ({
  ...cmd(name),
  action: { type: 'restore', set: 'db', at: null, to: '/srv/db', host: null },
  drill: 'run',
});

function planOf(groups: Array<[string, StepSpec[]]>, extra: Partial<PlanSpec> = {}): PlanSpec {
  return {
    name: unique('plan'),
    description: '',
    rtoMs: 600_000,
    rpoMs: 86_400_000,
    contacts: [
      { name: 'ann', role: 'dba', receivers: [] },
      { name: 'bob', role: 'dba', receivers: [] },
      { name: 'cy', role: 'manager', receivers: [] },
    ],
    critical: { hosts: [], services: [], backupSets: [], failoverGroups: [] },
    approvers: [],
    groups: groups.map(([name, steps]) => ({ name, steps })),
    drillSchedule: null,
    ...extra,
  };
}

/** A fake fleet: what each command does is its argv[0]; every call is recorded. */
function fleet() {
  const calls: string[] = [];
  const stopped: string[] = [];
  const failuresLeft = new Map<string, number>();
  let problems: string[] = [];
  const hostActs = {
    async drCommand(input: { command: { argv: string[] } }) {
      const name = input.command.argv[0]!;
      calls.push(name);
      if (name.startsWith('hang')) {
        const ctx = Context.current();
        try {
          for (;;) {
            ctx.heartbeat();
            await Promise.race([ctx.sleep(100), ctx.cancelled]);
          }
        } catch (err) {
          stopped.push(name);
          throw err;
        }
      }
      if (name.startsWith('slow')) await Context.current().sleep(600);
      const left = failuresLeft.get(name) ?? 0;
      if (left > 0 || name.startsWith('fail')) {
        failuresLeft.set(name, left - 1);
        throw ApplicationFailure.retryable(
          `\`${name}\` exited with status 1`,
          'DrStepFailed',
          `${name}: it broke`,
        );
      }
      return { detail: `${name} exit 0`, output: `${name} ran` };
    },
    async drRestore(input: { to: string | null; scratch: { key: string; step: string } | null }) {
      calls.push(`restore ${input.scratch ? `scratch:${input.scratch.step}` : input.to}`);
      return { detail: 'restored', backupAt: BACKUP_AT };
    },
    async drRemoveScratch(input: { key: string }) {
      calls.push(`remove-scratch ${input.key}`);
      return { detail: `removed ${input.key}` };
    },
  };
  const shared = {
    async drPreconditions() {
      return { problems, detail: 'checked' };
    },
    async drFailover(input: { group: string; to: string | null; drill: boolean; switchover?: boolean }) {
      calls.push(
        `${input.drill || input.switchover ? 'switchover' : 'failover'} ${input.group} → ${input.to}`,
      );
      return { detail: 'done', ...(input.drill ? { switchedFrom: 'pg1' } : {}) };
    },
  };
  return {
    calls,
    stopped,
    failTimes: (name: string, n: number) => failuresLeft.set(name, n),
    setProblems: (p: string[]) => (problems = p),
    hosts: [{ host: HOST, activities: hostActs }],
    shared,
  };
}

async function start(client: Client, plan: PlanSpec, extra: Partial<DrRunInput> = {}) {
  // The mocked restore needs no more of the set than its name and host.
  const db = {
    spec: { set: 'db', host: HOST },
    protect: { destinations: [], sources: [] },
  } as unknown as DrRunInput['sets'][string];
  const input: DrRunInput = { plan, sets: { db }, groups: {}, drill: false, startedBy: 'zed', ...extra };
  return client.workflow.start<typeof drPlanWorkflow>('drPlanWorkflow', {
    workflowId: DR_IDS.run(plan.name, unique('run')),
    taskQueue: SHARED_TASK_QUEUE,
    args: [input],
  });
}
type H = Awaited<ReturnType<typeof start>>;
const view = (h: H): Promise<RunView> => h.query(runQuery);
const stepState = async (h: H, name: string) => (await view(h)).steps.find((s) => s.name === name)!;
const until = async (h: H, name: string, state: string): Promise<void> => {
  await waitFor(async () => (await stepState(h, name)).state === state, {
    timeoutMs: 20_000,
    message: () => `step ${name} never became ${state}`,
  });
};
const refusal = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    let e = err as { cause?: unknown; message: string };
    while (e.cause) e = e.cause as typeof e;
    return e.message;
  }
  throw new Error('not refused');
};

describe('DR plan workflow (mocked steps)', () => {
  it('runs groups in order and steps in parallel, with approvals; RTO and RPO in the report', async () => {
    const f = fleet();
    const plan = planOf([
      ['decide', [approval('go', { count: 2 })]],
      ['recover', [cmd('slow-a'), cmd('slow-b'), cmd('slow-c')]],
      ['data', [restore('restore-db'), { ...cmd('tell'), critical: false }]],
    ]);
    const incidentAt = new Date(Date.now() - 60_000).toISOString();
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan, { incidentAt });
        await until(h, 'go', 'awaiting-approval');
        const approve = (r: object) => h.executeUpdate(decisionUpdates.approve, { args: [r as never] });
        // Every invalid approval is refused with its reason.
        expect(await refusal(approve({ step: 'nope', by: 'ann' }))).toMatch(/^no step "nope" in plan/);
        expect(await refusal(approve({ step: 'go', by: 'cy' }))).toBe(
          'cy may not approve step go (approvers: ann, bob)',
        );
        expect(await refusal(approve({ step: 'slow-a', by: 'ann' }))).toBe(
          'step slow-a is not awaiting approval (it is not-started)',
        );
        expect(await approve({ by: 'ann', comment: 'go' })).toBe('approve of step go recorded');
        expect(await refusal(approve({ step: 'go', by: 'ann' }))).toBe('ann approved step go already');
        expect((await stepState(h, 'go')).state).toBe('awaiting-approval'); // 1 of 2
        // The second approval comes as a plain signal, as from `temporal workflow signal`.
        await h.signal(decisionSignals.approve, { step: 'go', by: 'bob' });
        const report = await h.result();
        expect(report.outcome).toBe('completed');
        const v = await view(h);
        const go = v.steps.find((s) => s.name === 'go')!;
        expect(go.decisions.map((d) => [d.what, d.by, d.comment])).toEqual([
          ['approve', 'ann', 'go'],
          ['approve', 'bob', ''],
        ]);
        // The three steps of a group overlapped; the groups did not.
        const s = (n: string) => v.steps.find((x) => x.name === n)!;
        const starts = ['slow-a', 'slow-b', 'slow-c'].map((n) => Date.parse(s(n).startedAt!));
        const ends = ['slow-a', 'slow-b', 'slow-c'].map((n) => Date.parse(s(n).endedAt!));
        expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
        expect(Date.parse(s('restore-db').startedAt!)).toBeGreaterThanOrEqual(Math.max(...ends));
        // RTO: incident → end of the last critical step (tell is not critical); RPO: incident − backup.
        expect(report.rto.until).toBe(s('restore-db').endedAt);
        expect(report.rto.achievedMs).toBe(Date.parse(s('restore-db').endedAt!) - Date.parse(incidentAt));
        expect(report.rpo.achievedMs).toBe(Date.parse(incidentAt) - Date.parse(BACKUP_AT));
        expect(report.rpo.backups).toEqual([
          { step: 'restore-db', backupAt: BACKUP_AT, ageMs: report.rpo.achievedMs },
        ]);
        expect(s('slow-a').output).toBe('slow-a ran');
      },
      f.shared,
    );
  });

  it('self-approval is refused; a signal that fails validation is recorded in the log', async () => {
    const f = fleet();
    const plan = planOf([['decide', [approval('go')]]]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan, { startedBy: 'ann' });
        await until(h, 'go', 'awaiting-approval');
        expect(
          await refusal(h.executeUpdate(decisionUpdates.approve, { args: [{ step: 'go', by: 'ann' }] })),
        ).toBe('ann started this run and may not approve its steps (self-approval is off)');
        await h.signal(decisionSignals.approve, { step: 'go', by: 'mallory' });
        await waitFor(async () => (await view(h)).log.some((l) => l.text.includes('mallory')));
        expect((await view(h)).log.at(-1)!.text).toBe(
          'refused approve from mallory: mallory may not approve step go (approvers: ann, bob)',
        );
        await h.executeUpdate(decisionUpdates.reject, {
          args: [{ step: 'go', by: 'bob', comment: 'not today' }],
        });
        const r = await h.result();
        expect(r.outcome).toBe('failed');
        expect(r.steps.find((s) => s.name === 'go')).toMatchObject({
          state: 'failed',
          detail: 'rejected by bob: not today',
        });
      },
      f.shared,
    );
  });

  it.each([
    ['abort', 'aborted', 'cancelled'],
    ['continue', 'completed', 'completed'],
  ] as const)('an approval that times out with onTimeout: %s', async (onTimeout, outcome, after) => {
    const f = fleet();
    const plan = planOf([
      ['decide', [approval('go', { timeoutMs: 1000, onTimeout })]],
      ['act', [cmd('after')]],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const r = await (await start(client, plan)).result();
        expect(r.outcome).toBe(outcome);
        const go = r.steps.find((s) => s.name === 'go')!;
        expect(go.decisions.map((d) => [d.what, d.by])).toEqual([['timeout', 'timer']]);
        expect(r.steps.find((s) => s.name === 'after')!.state).toBe(
          after === 'cancelled' ? 'not-started' : after,
        );
      },
      f.shared,
    );
  });

  it('an approval that times out with onTimeout: escalate asks the others, who approve', async () => {
    const f = fleet();
    const plan = planOf([
      ['decide', [approval('go', { timeoutMs: 1000, onTimeout: 'escalate', escalateTo: ['cy'] })]],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan);
        await waitFor(async () => (await stepState(h, 'go')).approval?.allowed.join() === 'cy');
        expect((await stepState(h, 'go')).decisions[0]).toMatchObject({ what: 'escalate', by: 'timer' });
        await h.executeUpdate(decisionUpdates.approve, { args: [{ by: 'cy' }] });
        expect((await h.result()).outcome).toBe('completed');
      },
      f.shared,
    );
  });

  it('abort during a parallel group: running steps stop, completed steps are undone newest first', async () => {
    const f = fleet();
    const plan = planOf([
      ['first', [cmd('one', { compensate: undoOf('one') })]],
      ['second', [cmd('two', { compensate: undoOf('two') })]],
      ['third', [cmd('hang-a'), cmd('hang-b'), cmd('three', { compensate: undoOf('three') })]],
      ['never', [cmd('four')]],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan);
        await until(h, 'hang-a', 'executing');
        await until(h, 'three', 'completed');
        await h.executeUpdate(decisionUpdates.abort, { args: [{ by: 'cy', comment: 'wrong site' }] });
        const r = await h.result();
        expect(r.outcome).toBe('aborted');
        expect(f.stopped.sort()).toEqual(['hang-a', 'hang-b']);
        expect(f.calls.filter((c) => c.startsWith('undo-'))).toEqual(['undo-three', 'undo-two', 'undo-one']);
        expect(f.calls).not.toContain('four');
        expect(r.undone.sort()).toEqual(['one', 'three', 'two']);
        const st = Object.fromEntries(r.steps.map((s) => [s.name, s.state]));
        expect(st).toMatchObject({
          one: 'compensated',
          'hang-a': 'cancelled',
          'hang-b': 'cancelled',
          four: 'not-started',
        });
        expect(r.breaches).toContain('not recovered: the run ended aborted');
      },
      f.shared,
    );
  });

  it('retries per step; onFailure: ask waits for a person who retries, then skips', async () => {
    const f = fleet();
    f.failTimes('flaky', 2);
    f.failTimes('shaky', 1);
    const plan = planOf([
      ['a', [cmd('flaky', { retries: 2 })]],
      ['b', [cmd('shaky', { onFailure: 'ask' })]],
      ['c', [cmd('fail-always', { onFailure: 'ask' })]],
      ['d', [cmd('fail-ignored', { onFailure: 'continue' }), cmd('last')]],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan);
        await waitFor(async () => (await stepState(h, 'shaky')).asking, { timeoutMs: 20_000 });
        expect((await stepState(h, 'flaky')).attempts).toBe(3);
        expect((await stepState(h, 'shaky')).output).toBe('shaky: it broke');
        await h.executeUpdate(decisionUpdates.retry, { args: [{ step: 'shaky', by: 'ann' }] });
        await waitFor(async () => (await stepState(h, 'fail-always')).asking, { timeoutMs: 20_000 });
        expect(await stepState(h, 'shaky')).toMatchObject({ state: 'completed', attempts: 2 });
        await h.executeUpdate(decisionUpdates.skip, {
          args: [{ step: 'fail-always', by: 'bob', comment: 'known' }],
        });
        const r = await h.result();
        expect(r.outcome).toBe('completed');
        const st = Object.fromEntries(r.steps.map((s) => [s.name, s.state]));
        expect(st).toMatchObject({
          flaky: 'completed',
          'fail-always': 'skipped',
          'fail-ignored': 'failed',
          last: 'completed',
        });
        expect(r.breaches).toEqual([
          'step fail-ignored failed: `fail-ignored` exited with status 1 (onFailure: continue)',
        ]);
        expect(r.steps.find((s) => s.name === 'fail-always')!.decisions).toMatchObject([
          { what: 'skip', by: 'bob', comment: 'known' },
        ]);
      },
      f.shared,
    );
  });

  it('a skip or an abort between attempts: no further attempt', async () => {
    const f = fleet();
    const plan = planOf([
      ['a', [cmd('fail-skip', { retries: 5, onFailure: 'continue' })]],
      ['b', [cmd('fail-abort', { retries: 5 })]],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan);
        await waitFor(async () => (await stepState(h, 'fail-skip')).detail.endsWith('retrying'));
        await h.executeUpdate(decisionUpdates.skip, { args: [{ step: 'fail-skip', by: 'ann' }] });
        await waitFor(async () => (await stepState(h, 'fail-abort')).detail.endsWith('retrying'));
        await h.executeUpdate(decisionUpdates.abort, { args: [{ by: 'cy' }] });
        const r = await h.result();
        expect(r.outcome).toBe('aborted');
        expect(r.steps.find((s) => s.name === 'fail-skip')).toMatchObject({ state: 'skipped', attempts: 1 });
        expect(r.steps.find((s) => s.name === 'fail-abort')).toMatchObject({
          state: 'cancelled',
          attempts: 1,
        });
        expect(f.calls).toEqual(['fail-skip', 'fail-abort']);
      },
      f.shared,
    );
  });

  it('a step that fails with onFailure: abort fails the run and undoes what ran', async () => {
    const f = fleet();
    const plan = planOf([
      ['a', [cmd('one', { compensate: undoOf('one') })]],
      ['b', [cmd('fail-now')]],
      ['c', [cmd('never')]],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const r = await (await start(client, plan)).result();
        expect(r.outcome).toBe('failed');
        expect(f.calls).toEqual(['one', 'fail-now', 'undo-one']);
        expect(r.steps.find((s) => s.name === 'fail-now')!.detail).toBe('`fail-now` exited with status 1');
      },
      f.shared,
    );
  });

  it('pause holds the next steps until resume; failed preconditions wait for approval to proceed', async () => {
    const f = fleet();
    f.setProblems(['host beta has no live worker']);
    const plan = planOf(
      [
        ['a', [cmd('one')]],
        ['b', [cmd('two')]],
      ],
      { approvers: ['cy'] },
    );
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan);
        await until(h, 'preconditions', 'awaiting-approval');
        expect((await stepState(h, 'preconditions')).detail).toBe(
          'preconditions failed: host beta has no live worker; approve to proceed anyway',
        );
        await h.executeUpdate(decisionUpdates.pause, { args: [{ by: 'cy' }] });
        await h.executeUpdate(decisionUpdates.approve, { args: [{ by: 'cy', comment: 'beta is gone, go' }] });
        await new Promise((r) => setTimeout(r, 1000));
        expect(f.calls).toEqual([]);
        await h.executeUpdate(decisionUpdates.resume, { args: [{ by: 'cy' }] });
        const r = await h.result();
        expect(r.outcome).toBe('completed');
        expect(f.calls).toEqual(['one', 'two']);
        expect(r.steps[0]!.detail).toMatch(
          /^proceeding despite: host beta has no live worker \(approved by cy\)/,
        );
      },
      f.shared,
    );
  });

  it('a drill waits for nobody: failed preconditions are its finding, and it goes on', async () => {
    const f = fleet();
    f.setProblems(['the newest backup of db is 3h old, the target is 1h']);
    const plan = planOf([['a', [restore('restore-db')]]]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const r = await (await start(client, plan, { drill: true })).result();
        expect(r.outcome).toBe('completed');
        expect(r.steps[0]).toMatchObject({ name: 'preconditions', state: 'failed' });
        expect(r.breaches).toEqual([
          'step preconditions failed: preconditions failed: the newest backup of db is 3h old, the target is 1h; the drill goes on',
        ]);
        expect(f.calls[0]).toBe('restore scratch:restore-db');
      },
      f.shared,
    );
  });

  it('a drill: production steps skipped, restores into scratch that is removed, failovers switched back', async () => {
    const f = fleet();
    const failover: StepSpec = {
      ...cmd('promote'),
      action: { type: 'failover', group: 'db', to: 'pg2' },
      drill: 'run',
    };
    const plan = planOf([
      ['stop', [cmd('stop-app', { compensate: undoOf('stop-app') })]],
      ['data', [restore('restore-db'), failover]],
      [
        'check',
        [
          cmd('check', {
            drill: {
              type: 'command',
              host: HOST,
              command: { argv: ['check-scratch'], timeoutMs: 5000, env: {}, shell: false },
            },
          }),
        ],
      ],
    ]);
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, plan, { drill: true });
        const r = await h.result();
        expect(r.drill).toBe(true);
        expect(r.outcome).toBe('completed');
        const key = h.workflowId.replace(/[^A-Za-z0-9._-]/g, '_');
        // The restore and the failover ran side by side; the cleanup undoes both after the rest.
        expect(f.calls.slice(0, 2).sort()).toEqual(['restore scratch:restore-db', 'switchover db → pg2']);
        expect(f.calls[2]).toBe('check-scratch');
        expect(f.calls.slice(3).sort()).toEqual([`remove-scratch ${key}`, 'switchover db → pg1']);
        expect(r.steps.map((s) => [s.name, s.drill])).toEqual([
          ['preconditions', null],
          ['stop-app', 'skipped'],
          ['restore-db', 'ran'],
          ['promote', 'ran'],
          ['check', 'replaced'],
        ]);
        expect((await view(h)).cleanup.sort()).toEqual([
          `removed on ${HOST}: removed ${key}`,
          'switched db back: done',
        ]);
        expect(r.rto.achievedMs).not.toBeNull();
      },
      f.shared,
    );
  });
});
