// failover:<group> with mocked observers and actions, on the suite's server: a dead primary
// failed over with timings, a fence that fails, observers that disagree, cooldown and
// maxFailovers, split brain, switchover and its validator, all nodes dead, and discovery; and
// standbys whose reports lapse mid-failover (the server itself was away).
// Over 400 lines on purpose: one fake cluster serves every path of the group controller.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import { forceFailover, switchover, FailoverRequestRefused } from '../../src/failover/client';
import type { GroupSpec, GroupView, Observation, Role } from '../../src/failover/model/types';
import type { failoverGroupWorkflow, FailoverInput } from '../../workflows/failover/group';
import { failoverHistoryQuery, groupQuery, pauseGroupUpdate } from '../../workflows/failover/messages';
import { testEnv, waitFor } from '../helpers';
import { unique, viewInMemo, withMockedActivities } from './harness';
import type { MockHost } from './harness';

const env = testEnv(__filename);
const HOSTS = ['alpha', 'beta', 'gamma'];
const cmd = (name: string) => ({ argv: [name], timeoutMs: 5000, env: {}, shell: false });
const timing = {
  intervalMs: 100,
  timeoutMs: 100,
  failureThreshold: 2,
  successThreshold: 1,
  initialDelayMs: 0,
};

function spec(extra: Partial<GroupSpec> = {}): GroupSpec {
  return {
    name: unique('db'),
    nodes: [
      { name: 'pg1', host: 'alpha', priority: 100, nofailover: false, env: {} },
      { name: 'pg2', host: 'beta', priority: 90, nofailover: false, env: {} },
      { name: 'pg3', host: 'gamma', priority: 80, nofailover: false, env: {} },
    ],
    initialPrimary: 'pg1',
    observers: HOSTS,
    health: [{ type: 'tcp', address: 'x:1', ...timing }],
    role: { type: 'command', command: cmd('role'), ...timing },
    lag: null,
    maximumLag: null,
    actions: {
      fence: [{ host: null, command: cmd('fence') }],
      promote: { host: null, command: cmd('promote') },
      demote: { host: null, command: cmd('demote') },
      repoint: [{ host: 'gamma', command: cmd('repoint') }],
    },
    mode: 'automatic',
    select: 'priority',
    cooldownMs: 0,
    maxFailovers: { count: 10, windowMs: 3_600_000 },
    failbackAfterMs: null,
    allowUnfencedPromotion: false,
    verifyTimeoutMs: 2000,
    ...extra,
  };
}

/** A fake cluster: which nodes are down (for every observer, or one), their roles, the calls. */
function cluster() {
  const down = new Set<string>();
  const partition = new Set<string>(); // "observer|node": that observer sees the node failing
  const roles = new Map<string, Role>([
    ['pg1', 'primary'],
    ['pg2', 'standby'],
    ['pg3', 'standby'],
  ]);
  const calls: string[] = [];
  /** Nodes whose watches fail (their observers' worker away, or the server unreachable). */
  const silent = new Set<string>();
  let fenceFails = false;
  let fenceDelayMs = 0;
  const host = (h: string): MockHost => ({
    host: h,
    activities: {
      async failoverObserve(input: { node: string; last: Observation | null }): Promise<Observation | null> {
        const ctx = Context.current();
        for (;;) {
          if (silent.has(input.node)) throw ApplicationFailure.retryable('heartbeat lost', 'Lost');
          const healthy = !down.has(input.node) && !partition.has(`${h}|${input.node}`);
          const role: Role = down.has(input.node) ? 'unknown' : (roles.get(input.node) ?? 'unknown');
          const l = input.last;
          if (!l || l.healthy !== healthy || l.role !== role)
            return {
              healthy,
              role,
              lag: 0,
              detail: healthy ? 'probes passed' : 'tcp x:1: ECONNREFUSED',
              at: new Date().toISOString(),
            };
          ctx.heartbeat();
          await Promise.race([ctx.sleep(30), ctx.cancelled]);
        }
      },
      async failoverAction(input: { what: string; vars: Record<string, string> }) {
        const n = input.vars.HA_FENCE_NODE ?? input.vars.HA_NODE!;
        calls.push(`${input.what} ${n}@${h}`);
        if (input.what === 'fence') {
          await Context.current().sleep(fenceDelayMs);
          if (fenceFails)
            throw ApplicationFailure.nonRetryable('fence: power switch unreachable', 'FailoverActionFailed');
          roles.set(n, 'unknown');
        }
        if (input.what === 'demote') roles.set(n, 'standby');
        return { detail: 'exit 0', ms: 1 };
      },
      async failoverPromote(input: { vars: Record<string, string> }) {
        const n = input.vars.HA_NODE!;
        calls.push(`promote ${n}@${h}`);
        if (roles.get(n) === 'primary') return { detail: 'already primary', ms: 0 };
        roles.set(n, 'primary');
        return { detail: 'exit 0', ms: 1 };
      },
      async failoverVerify(input: { vars: Record<string, string> }) {
        if (roles.get(input.vars.HA_NODE!) !== 'primary')
          throw ApplicationFailure.nonRetryable('did not say primary', 'FailoverVerifyFailed');
        return { ms: 1 };
      },
    },
  });
  return {
    down,
    partition,
    roles,
    calls,
    silent,
    setFenceFails: (v: boolean) => (fenceFails = v),
    setFenceDelay: (ms: number) => (fenceDelayMs = ms),
    hosts: HOSTS.map(host),
    shared: {
      async failoverHostLoads() {
        return [];
      },
    },
  };
}

async function start(client: Client, input: FailoverInput) {
  return client.workflow.start<typeof failoverGroupWorkflow>('failoverGroupWorkflow', {
    workflowId: `failover:${input.spec.name}`,
    taskQueue: SHARED_TASK_QUEUE,
    args: [input],
  });
}

type H = Awaited<ReturnType<typeof start>>;
const view = (h: H): Promise<GroupView> => h.query(groupQuery);
const steady = async (h: H): Promise<void> => {
  await waitFor(async () => {
    const v = await view(h);
    return v.nodes.every((n) => n.health === 'up') && v.state === 'healthy';
  });
};
/** The primary moves before repointing, so tests wait for the recorded event, which comes last. */
const recorded = async (h: H, kind: string, to: string, by?: string): Promise<void> => {
  const match = (e: { kind: string; to: string | null; by: string | null }) =>
    e.kind === kind && e.to === to && (by === undefined || e.by === by);
  let last = '';
  await waitFor(
    async () => {
      const [v, hist] = await Promise.all([view(h), h.query(failoverHistoryQuery)]);
      last = JSON.stringify({
        state: v.state,
        explain: v.explain,
        primary: v.primary,
        nodes: v.nodes.map((n) => [n.name, n.health, n.role]),
        history: hist.map((e) => [e.kind, e.to, e.reason]),
      });
      return hist.some(match);
    },
    { timeoutMs: 20_000, message: () => `no ${kind} to ${to} recorded: ${last}` },
  );
};

describe('failover group controller (mocked nodes)', () => {
  it('a dead primary: fenced, the best standby promoted and verified, repointed; timings recorded', async () => {
    const c = cluster();
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        expect((await view(h)).explain).toBe('no failover: primary pg1 is healthy for 3 of 3 observers');
        c.down.add('pg1');
        await recorded(h, 'failover', 'pg2');
        const ev = (await h.query(failoverHistoryQuery)).find((e) => e.kind === 'failover')!;
        expect(ev).toMatchObject({ from: 'pg1', to: 'pg2' });
        expect(Object.keys(ev.timings).sort()).toEqual([
          'detect',
          'fence',
          'promote',
          'repoint',
          'select',
          'total',
          'verify',
        ]);
        expect(ev.candidates.map((x) => [x.node, x.eligible, x.why])).toEqual([
          ['pg2', true, 'priority 90'],
          ['pg3', true, 'priority 80'],
        ]);
        expect(c.calls).toEqual(['fence pg1@alpha', 'promote pg2@beta', 'repoint pg2@gamma']);
        const v = await view(h);
        expect(v.nodes.find((n) => n.name === 'pg1')!.fenced).toBe(true);
        // The memo keeps the view that hactl status reads.
        await viewInMemo(h, () => view(h));
        await h.terminate();
      },
      c.shared,
    );
  });

  it('a fence that fails: no promotion, the group waits and says why; a person forces it', async () => {
    const c = cluster();
    c.setFenceFails(true);
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.down.add('pg1');
        await waitFor(async () => (await view(h)).state === 'waiting');
        const v = await view(h);
        expect(v.primary).toBe('pg1');
        expect(v.explain).toMatch(
          /^fence of pg1 failed \(fence: power switch unreachable\): no promotion; fence it by hand/,
        );
        expect(c.calls.filter((x) => x.startsWith('promote'))).toEqual([]);
        // A person fences by hand and forces the failover.
        await forceFailover(client, s.name, 'pg3', 'ann');
        await recorded(h, 'forced', 'pg3');
        expect((await h.query(failoverHistoryQuery)).at(-1)).toMatchObject({
          kind: 'forced',
          to: 'pg3',
          by: 'ann',
        });
        await h.terminate();
      },
      c.shared,
    );
  });

  it('allowUnfencedPromotion: a fence that fails does not stop the promotion', async () => {
    const c2 = cluster();
    c2.setFenceFails(true);
    c2.down.add('pg1');
    const s2 = spec({ allowUnfencedPromotion: true });
    await withMockedActivities(
      env,
      c2.hosts,
      async (client2) => {
        const h2 = await start(client2, { spec: s2 });
        await recorded(h2, 'failover', 'pg2');
        expect((await h2.query(failoverHistoryQuery)).at(-1)!.reason).toContain('not fenced');
        await h2.terminate();
      },
      c2.shared,
    );
  });

  it('observers that disagree: no failover, and the explanation says so', async () => {
    const c = cluster();
    const s = spec({ observers: ['alpha', 'beta'] });
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.partition.add('beta|pg1');
        await waitFor(async () =>
          (await view(h)).explain.startsWith('no failover: primary pg1 is healthy for 1 of 2'),
        );
        await new Promise((r) => setTimeout(r, 1000));
        const v = await view(h);
        expect(v.primary).toBe('pg1');
        expect(v.explain).toBe(
          'no failover: primary pg1 is healthy for 1 of 2 observers failing for 1 (beta: tcp x:1: ECONNREFUSED); 2 of 2 observers must agree it is dead',
        );
        expect(c.calls).toEqual([]);
        await h.terminate();
      },
      c.shared,
    );
  });

  it('flapping: no second failover within the cooldown; past maxFailovers the group pauses', async () => {
    const c = cluster();
    const s = spec({ cooldownMs: 1500, maxFailovers: { count: 2, windowMs: 3_600_000 } });
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.down.add('pg1');
        await waitFor(async () => (await view(h)).primary === 'pg2');
        c.down.add('pg2');
        await waitFor(async () => (await view(h)).explain.includes('within the cooldown of'));
        expect((await view(h)).primary).toBe('pg2');
        // After the cooldown the second failover happens (pg3), then a third would exceed 2.
        await waitFor(async () => (await view(h)).primary === 'pg3', { timeoutMs: 10_000 });
        await new Promise((r) => setTimeout(r, 1600));
        c.down.add('pg3');
        await waitFor(async () => (await view(h)).paused);
        const last = (await h.query(failoverHistoryQuery)).at(-1)!;
        expect(last).toMatchObject({ kind: 'paused' });
        expect(last.reason).toContain('2 failovers within 1h already (maxFailovers 2)');
        await h.terminate();
      },
      c.shared,
    );
  });

  it('split brain: a second node saying primary is fenced', async () => {
    const c = cluster();
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.roles.set('pg3', 'primary');
        await waitFor(() => c.calls.includes('fence pg3@gamma'));
        await waitFor(async () =>
          (await h.query(failoverHistoryQuery)).some((e) => e.kind === 'split-brain'),
        );
        const ev = (await h.query(failoverHistoryQuery)).find((e) => e.kind === 'split-brain')!;
        expect(ev.reason).toBe('pg3 reports primary while pg1 is the primary; fenced pg3');
        expect((await view(h)).primary).toBe('pg1');
        await h.terminate();
      },
      c.shared,
    );
  });

  it('switchover: demote, then promote; refused for an unknown or unhealthy node', async () => {
    const c = cluster();
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        await expect(switchover(client, s.name, 'pg9', 'ann')).rejects.toThrow(
          new FailoverRequestRefused(`no node "pg9" in group ${s.name} (nodes: pg1, pg2, pg3)`),
        );
        c.down.add('pg3');
        await waitFor(async () => (await view(h)).nodes.find((n) => n.name === 'pg3')!.health === 'dead');
        await expect(switchover(client, s.name, 'pg3', 'ann')).rejects.toThrow(/pg3 is not healthy/);
        await switchover(client, s.name, 'pg2', 'ann');
        await recorded(h, 'switchover', 'pg2');
        expect(c.calls).toEqual(['demote pg1@alpha', 'promote pg2@beta', 'repoint pg2@gamma']);
        const ev = (await h.query(failoverHistoryQuery)).at(-1)!;
        expect(ev).toMatchObject({
          kind: 'switchover',
          from: 'pg1',
          to: 'pg2',
          by: 'ann',
          reason: 'planned: pg1 → pg2',
        });
        await h.terminate();
      },
      c.shared,
    );
  });

  it('a switchover at a set time, and automatic failback to a former primary back as a standby', async () => {
    const c = cluster();
    const s = spec({ failbackAfterMs: 1000 });
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        const at = new Date(Date.now() + 1500).toISOString();
        await switchover(client, s.name, 'pg3', 'ann', at);
        expect((await view(h)).pendingSwitchover).toEqual({ to: 'pg3', at, by: 'ann' });
        expect((await view(h)).primary).toBe('pg1');
        await waitFor(async () => (await view(h)).primary === 'pg3');
        expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(at));
        // pg3 dies: pg1 (the best) takes over; pg3 back as a standby is switched back to after 1 s.
        c.down.add('pg3');
        await waitFor(async () => (await view(h)).primary === 'pg1');
        expect((await view(h)).nodes.find((n) => n.name === 'pg3')!.fenced).toBe(true);
        c.down.delete('pg3');
        c.roles.set('pg3', 'standby');
        await recorded(h, 'switchover', 'pg3', 'failback');
        const last = (await h.query(failoverHistoryQuery)).at(-1)!;
        expect(last).toMatchObject({ kind: 'switchover', from: 'pg1', to: 'pg3', by: 'failback' });
        expect((await view(h)).nodes.find((n) => n.name === 'pg3')!.fenced).toBe(false);
        await h.terminate();
      },
      c.shared,
    );
  });

  it('keeps its primary, fenced nodes and history across continue-as-new', async () => {
    const c = cluster();
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maxEventsPerRun: 8 });
        await steady(h);
        c.down.add('pg1');
        await waitFor(
          async () =>
            (await client.workflow.getHandle(`failover:${s.name}`).query(groupQuery)).primary === 'pg2',
        );
        const g = client.workflow.getHandle(`failover:${s.name}`);
        await waitFor(async () => (await g.describe()).runId !== h.firstExecutionRunId);
        const v = await g.query(groupQuery);
        expect(v.primary).toBe('pg2');
        expect(v.nodes.find((n) => n.name === 'pg1')!.fenced).toBe(true);
        expect((await g.query(failoverHistoryQuery)).filter((e) => e.kind === 'failover')).toHaveLength(1);
        expect(c.calls.filter((x) => x.startsWith('promote'))).toEqual(['promote pg2@beta']);
        // The new run keeps the view in its own memo from its start.
        await viewInMemo(g, () => g.query(groupQuery));
        await g.terminate();
      },
      c.shared,
    );
  });

  it('all nodes dead: no promotion, and why', async () => {
    const c = cluster();
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.down.add('pg2');
        c.down.add('pg3');
        await waitFor(async () => (await view(h)).nodes.filter((n) => n.health === 'dead').length === 2);
        c.down.add('pg1');
        await waitFor(async () => (await h.query(failoverHistoryQuery)).some((e) => e.kind === 'no-target'));
        const ev = (await h.query(failoverHistoryQuery)).find((e) => e.kind === 'no-target')!;
        expect(ev.reason).toMatch(
          /no node can take over: pg2 not healthy: failing for 3 of 3 observers .*; pg3 not healthy/,
        );
        expect(c.calls.filter((x) => x.startsWith('promote'))).toEqual([]);
        await h.terminate();
      },
      c.shared,
    );
  });

  it('finds the primary by its role when the config names none; pause stops failovers', async () => {
    const c = cluster();
    c.roles.set('pg1', 'standby');
    c.roles.set('pg2', 'primary');
    const s = spec({ initialPrimary: null });
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await waitFor(async () => (await view(h)).primary === 'pg2');
        await h.executeUpdate(pauseGroupUpdate, {
          args: [{ paused: true, by: 'ann', reason: 'maintenance' }],
        });
        c.down.add('pg2');
        await waitFor(async () => (await view(h)).explain.includes('the group is paused: no failover'));
        expect((await view(h)).primary).toBe('pg2');
        await h.executeUpdate(pauseGroupUpdate, { args: [{ paused: false, by: 'ann' }] });
        await waitFor(async () => (await view(h)).primary === 'pg1');
        await h.terminate();
      },
      c.shared,
    );
  });

  it('the standbys’ reports lapse during the failover (the server was away): it waits for them, then promotes', async () => {
    const c = cluster();
    c.setFenceDelay(1500);
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.down.add('pg1');
        await waitFor(async () => (await view(h)).state === 'failing-over', { intervalMs: 20 });
        c.silent.add('pg2');
        c.silent.add('pg3');
        await waitFor(async () => (await view(h)).explain.includes('waiting for the observers'), {
          timeoutMs: 20_000,
        });
        expect((await view(h)).explain).toBe(
          "failing over from pg1: waiting for the observers' reports of pg2, pg3",
        );
        c.silent.clear();
        await recorded(h, 'failover', 'pg2');
        const history = await h.query(failoverHistoryQuery);
        expect(history.map((e) => e.kind)).not.toContain('no-target');
        expect(c.calls).toEqual(['fence pg1@alpha', 'promote pg2@beta', 'repoint pg2@gamma']);
        await h.terminate();
      },
      c.shared,
    );
  });

  it('no node could take over when the failover ran: once one can, it is done without a person', async () => {
    const c = cluster();
    c.setFenceDelay(1500);
    const s = spec();
    await withMockedActivities(
      env,
      c.hosts,
      async (client) => {
        const h = await start(client, { spec: s });
        await steady(h);
        c.down.add('pg1');
        await waitFor(async () => (await view(h)).state === 'failing-over', { intervalMs: 20 });
        c.down.add('pg2');
        c.down.add('pg3');
        await waitFor(async () => (await h.query(failoverHistoryQuery)).some((e) => e.kind === 'no-target'));
        expect((await view(h)).state).toBe('waiting');
        c.down.delete('pg2');
        await recorded(h, 'failover', 'pg2');
        expect((await view(h)).primary).toBe('pg2');
        expect(c.calls.filter((x) => x.startsWith('promote'))).toEqual(['promote pg2@beta']);
        await h.terminate();
      },
      c.shared,
    );
  });
});
