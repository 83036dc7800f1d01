// failover:<group> — the group's record of its primary (the leader lock) and everything that
// changes it. Observers' watches report what they see of each node; the pure decisions in
// src/failover/model/decide.ts say whether the primary is dead and which standby takes over;
// this workflow fences, selects, promotes, verifies and repoints through host activities,
// recording every phase's time and every candidate's score. A crash anywhere resumes the same
// failover: promotion asks the node's role first, so nothing is ever promoted twice.
// Over 400 lines on purpose: watches, the failover procedure, switchovers, split brain and the
// handlers all work on the one state of the run, which closures over it keep in one place.
import {
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { hostTaskQueue } from '../../src/core/names';
import { WATCH_HEARTBEAT_TIMEOUT_MS } from '../../src/core/probe';
import { SA_KEYS } from '../../src/core/search-attributes';
import { assess, candidates, nodeView } from '../../src/failover/model/decide';
import { actionTimeoutMs, changedPrimary, countPrimaryChanges } from '../../src/failover/model/types';
import { FAILOVER_FAILURES } from '../../src/failover/model/failures';
import { checkForce, checkPause, checkSwitchover } from '../../src/failover/model/requests';
import type { ForceRequest, PauseRequest, SwitchoverRequest } from '../../src/failover/model/requests';
import type {
  ActionSpec,
  Candidate,
  FailoverEvent,
  GroupSpec,
  GroupView,
  NodeSpec,
  NodeView,
  Observation,
  PrimaryChanges,
} from '../../src/failover/model/types';
import type { FailoverActivities } from '../../activities/failover';
import { onReconfigure, viewPublisher } from '../shared/controller';
import { reportEvent } from '../shared/events';
import {
  failoverHistoryQuery,
  forceFailoverSignal,
  forceFailoverUpdate,
  groupQuery,
  pauseGroupSignal,
  pauseGroupUpdate,
  switchoverSignal,
  switchoverUpdate,
} from './messages';

export interface FailoverState {
  primary: string | null;
  /** Former primaries kept from coming back as primary until a failback. */
  fenced: string[];
  obs: Record<string, Record<string, Observation>>;
  paused: boolean;
  /** Times of automatic failovers (cooldown, maxFailovers). */
  failovers: number[];
  history: FailoverEvent[];
  /**
   * Changes of primary by kind, kept apart from the history (which keeps its last events only).
   * Absent in the state of older releases: counted from their history on the first change.
   */
  primaryChanges?: PrimaryChanges;
  explain: string;
  /** A failover that needs a person (a fence or a promotion failed), and why. */
  waiting: string | null;
  /**
   * Set when the wait is for a node that can take over (none could when the failover ran): it
   * ends by itself once one can. Other waits (a failed fence or promotion) need a person.
   */
  waitingForTarget?: boolean;
  pendingSwitchover: { to: string; at: string; by: string } | null;
  /** The last alert told (so that a condition is told once). */
  alerted: string | null;
  /** Since when each fenced node has been a healthy standby (automatic failback). */
  standbySince: Record<string, number>;
}

export interface FailoverInput {
  spec: GroupSpec;
  state?: FailoverState;
  maxEventsPerRun?: number;
}

const MAX_HISTORY = 200;
const MAX_EVENTS_PER_RUN = 2000;
const WATCH_RENEW_MS = 6 * 3_600_000;
const HEARTBEAT_MS = 5_000;
const OBSERVER_RETRY_MS = 5_000;
/**
 * How long a failover that has fenced the primary waits for reports of the standbys when none
 * has a verdict: observers' watches all lapse together when the Temporal server itself was away
 * (a node of its cluster lost), and come back within a retry and a few probes.
 */
const REPORT_WAIT_MS = 30_000;
/** Once a standby has reported, how long the others' reports are awaited. */
const REPORT_GRACE_MS = 5_000;
/** Patch: that wait, and the end of a wait for a target once there is one. */
const WAIT_FOR_REPORTS = 'failover-waits-for-reports';
const iso = (ms: number): string => new Date(ms).toISOString();

export async function failoverGroupWorkflow(input: FailoverInput): Promise<void> {
  let spec = input.spec;
  const state: FailoverState = input.state ?? {
    primary: spec.initialPrimary,
    fenced: [],
    obs: {},
    paused: false,
    failovers: [],
    history: [],
    explain: 'starting',
    waiting: null,
    pendingSwitchover: null,
    alerted: null,
    standbySince: {},
  };
  let dirty = true;
  let eventsThisRun = 0;
  let busy: string | null = null; // what is being done (a failover, a switchover, a fence)
  const watches = new Map<string, CancellationScope>();
  const retryAt = new Map<string, number>();
  const changed = (): void => {
    dirty = true;
    eventsThisRun++;
  };

  const node = (name: string): NodeSpec => spec.nodes.find((n) => n.name === name)!;
  const vars = (n: NodeSpec, extra: Record<string, string> = {}): Record<string, string> => ({
    ...n.env,
    HA_GROUP: spec.name,
    HA_NODE: n.name,
    HA_NODE_HOST: n.host,
    ...(state.primary ? { HA_PRIMARY: state.primary } : {}),
    ...extra,
  });
  const views = (): NodeView[] =>
    spec.nodes.map((n) => nodeView(spec, n.name, state.obs[n.name] ?? {}, state.fenced));
  const acts = (host: string, timeoutMs: number, attempts: number) =>
    proxyActivities<FailoverActivities>({
      taskQueue: hostTaskQueue(host),
      // A host whose worker is away fails the step at once: the group does not wait on it.
      scheduleToStartTimeout: '5 seconds',
      startToCloseTimeout: timeoutMs + 30_000,
      heartbeatTimeout: HEARTBEAT_MS,
      retry: {
        initialInterval: '500 milliseconds',
        maximumAttempts: attempts,
        nonRetryableErrorTypes: [FAILOVER_FAILURES.actionFailed, FAILOVER_FAILURES.verifyFailed],
      },
    });
  const watcher = (host: string) =>
    proxyActivities<FailoverActivities>({
      taskQueue: hostTaskQueue(host),
      scheduleToStartTimeout: '10 seconds',
      startToCloseTimeout: WATCH_RENEW_MS + 600_000,
      heartbeatTimeout: WATCH_HEARTBEAT_TIMEOUT_MS,
      retry: { maximumAttempts: 1 },
      cancellationType: 'TRY_CANCEL',
    });
  const { failoverHostLoads } = proxyActivities<FailoverActivities>({
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 2 },
  });
  const message = (err: unknown): string => {
    let e = err as { message?: string; cause?: unknown };
    while (e?.cause && (e.cause as { message?: string }).message) e = e.cause;
    return e?.message ?? String(err);
  };
  const record = (e: Omit<FailoverEvent, 'at'>): FailoverEvent => {
    const ev = { at: iso(Date.now()), ...e };
    if (changedPrimary(ev)) {
      state.primaryChanges ??= countPrimaryChanges(state.history);
      state.primaryChanges[ev.kind as keyof PrimaryChanges]++;
    }
    state.history.push(ev);
    if (state.history.length > MAX_HISTORY) state.history.splice(0, state.history.length - MAX_HISTORY);
    log.info(`${spec.name}: ${e.kind}: ${e.reason}`);
    return ev;
  };
  const tell = (
    alertname: string,
    severity: string,
    summary: string,
    extra: Record<string, string> = {},
  ): void => {
    void reportEvent({
      labels: { alertname, group: spec.name, severity, ...extra },
      annotations: { summary },
    });
  };
  /** Tells a condition once (until the group is steady again). */
  const tellOnce = (sig: string, alertname: string, severity: string, summary: string): void => {
    if (state.alerted === sig) return;
    state.alerted = sig;
    tell(alertname, severity, summary);
  };
  const setState = (v: string): void => upsertSearchAttributes([{ key: SA_KEYS.state, value: v }]);

  // -- watches: one per observer and node; they report only changes --------------------------
  const watchKey = (observer: string, n: string): string => `${observer}|${n}`;
  const startWatch = (observer: string, n: NodeSpec): void => {
    const key = watchKey(observer, n.name);
    const scope = new CancellationScope();
    watches.set(key, scope);
    scope
      .run(() =>
        watcher(observer).failoverObserve({
          group: spec.name,
          node: n.name,
          health: spec.health,
          role: spec.role,
          lag: spec.lag,
          maximumLag: spec.maximumLag,
          last: state.obs[n.name]?.[observer] ?? null,
          renewAfterMs: WATCH_RENEW_MS,
          vars: vars(n),
        }),
      )
      .then(
        (o) => {
          if (o) (state.obs[n.name] ??= {})[observer] = o;
        },
        (err) => {
          if (isCancellation(err)) return;
          // The observer's worker is away: it has no vote until it is back.
          if (state.obs[n.name]?.[observer]) delete state.obs[n.name]![observer];
          retryAt.set(key, Date.now() + OBSERVER_RETRY_MS);
          log.warn('observer not answering', { observer, node: n.name, error: message(err) });
        },
      )
      .finally(() => {
        if (watches.get(key) === scope) watches.delete(key);
        changed();
      });
  };
  /**
   * After a node's role was changed on purpose (demoted, promoted, fenced), what observers saw of
   * it before is stale: forget its role and watch it afresh, so that only a new report can claim
   * primary (a demoted node's old "primary" is not a split brain).
   */
  const refresh = (...names: string[]): void => {
    for (const n of names) {
      for (const o of Object.values(state.obs[n] ?? {})) o.role = 'unknown';
      for (const observer of spec.observers) {
        const key = watchKey(observer, n);
        watches.get(key)?.cancel();
        watches.delete(key);
      }
    }
  };
  const ensureWatches = (now: number): void => {
    for (const observer of spec.observers)
      for (const n of spec.nodes) {
        const key = watchKey(observer, n.name);
        if (watches.has(key) || (retryAt.get(key) ?? 0) > now) continue;
        retryAt.delete(key);
        startWatch(observer, n);
      }
  };

  // -- the procedures ----------------------------------------------------------------------------
  const runActions = async (
    what: string,
    list: ActionSpec[],
    n: NodeSpec,
    extra: Record<string, string> = {},
  ): Promise<string[]> => {
    const errors: string[] = [];
    for (const a of list) {
      try {
        await acts(a.host ?? n.host, actionTimeoutMs(a), 2).failoverAction({
          what,
          action: a,
          vars: vars(n, extra),
        });
      } catch (err) {
        errors.push(message(err));
      }
    }
    return errors;
  };
  const fence = async (n: NodeSpec): Promise<string | null> => {
    if (!spec.actions.fence.length) return 'no fence action is configured';
    const errors = await runActions('fence', spec.actions.fence, n, { HA_FENCE_NODE: n.name });
    return errors.length ? errors.join('; ') : null;
  };
  const promoteAndVerify = async (
    target: NodeSpec,
    timings: Record<string, number>,
  ): Promise<string | null> => {
    let t = Date.now();
    try {
      const p = spec.actions.promote;
      await acts(p?.host ?? target.host, p ? actionTimeoutMs(p) : 60_000, 3).failoverPromote({
        role: spec.role,
        promote: p,
        vars: vars(target, { HA_TARGET: target.name, HA_TARGET_HOST: target.host }),
      });
    } catch (err) {
      return `promote of ${target.name} failed: ${message(err)}`;
    }
    timings.promote = Date.now() - t;
    t = Date.now();
    try {
      await acts(target.host, spec.verifyTimeoutMs, 3).failoverVerify({
        role: spec.role,
        timeoutMs: spec.verifyTimeoutMs,
        vars: vars(target),
      });
    } catch (err) {
      return `verify of ${target.name} failed: ${message(err)}`;
    }
    timings.verify = Date.now() - t;
    return null;
  };
  const repoint = async (target: NodeSpec, timings: Record<string, number>): Promise<string[]> => {
    const t = Date.now();
    const errors = await runActions(
      'repoint',
      spec.actions.repoint.map((a) => ({ ...a, host: a.host ?? target.host })),
      target,
      { HA_PRIMARY: target.name, HA_PRIMARY_HOST: target.host },
    );
    timings.repoint = Date.now() - t;
    return errors;
  };
  const loads = async (): Promise<Record<string, number | null>> => {
    if (spec.select !== 'least-loaded') return {};
    try {
      const l = await failoverHostLoads({ hosts: [...new Set(spec.nodes.map((n) => n.host))] });
      return Object.fromEntries(l.map((x) => [x.host, x.cpu]));
    } catch {
      return {};
    }
  };

  /** Fence → select → promote → verify → repoint. `forcedTo`: a person chose the target. */
  const failover = async (from: string, forcedTo: string | null, by: string | null): Promise<void> => {
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    const old = node(from);
    const firstFailing = Object.values(state.obs[from] ?? {})
      .filter((o) => o.healthy === false)
      .map((o) => Date.parse(o.at));
    timings.detect = firstFailing.length ? Math.max(0, t0 - Math.min(...firstFailing)) : 0;
    setState('failing-over');
    state.explain = `failing over from ${from}: fencing`;
    let t = Date.now();
    const fenceError = await fence(old);
    timings.fence = Date.now() - t;
    const kind = forcedTo ? 'forced' : 'failover';
    if (fenceError && !spec.allowUnfencedPromotion && !forcedTo) {
      state.waiting = `fence of ${from} failed (${fenceError}): no promotion; fence it by hand, then run hactl failover failover ${spec.name} --to NODE --force`;
      state.waitingForTarget = false;
      record({ kind: 'fence-failed', from, to: null, timings, candidates: [], reason: state.waiting, by });
      tell('FailoverFenceFailed', 'critical', `${spec.name}: ${state.waiting}`, { node: from });
      state.explain = state.waiting;
      return;
    }
    t = Date.now();
    let c: Candidate[] = candidates(spec, views(), from, await loads());
    // No verdict on any standby is no verdict against them: wait for their reports a while.
    const silent = (): string[] =>
      views()
        .filter((v) => v.name !== from && v.health === 'unknown')
        .map((v) => v.name);
    const anyEligible = (): boolean => candidates(spec, views(), from).some((x) => x.eligible);
    if (!forcedTo && !c.some((x) => x.eligible) && silent().length && patched(WAIT_FOR_REPORTS)) {
      state.explain = `failing over from ${from}: waiting for the observers' reports of ${silent().join(', ')}`;
      await condition(() => anyEligible() || silent().length === 0, REPORT_WAIT_MS);
      // One report is in: the others (perhaps a better node) get a moment to arrive too.
      if (silent().length) await condition(() => silent().length === 0, REPORT_GRACE_MS);
      c = candidates(spec, views(), from, await loads());
    }
    const to = forcedTo ?? c.find((x) => x.eligible)?.node ?? null;
    timings.select = Date.now() - t;
    if (!to) {
      const why = `no node can take over from ${from}: ${c.map((x) => `${x.node} ${x.why}`).join('; ')}`;
      state.waiting = why;
      state.waitingForTarget = true;
      record({ kind: 'no-target', from, to: null, timings, candidates: c, reason: why, by });
      tell('FailoverNoTarget', 'critical', `${spec.name}: ${why}`, { node: from });
      state.explain = why;
      return;
    }
    state.explain = `failing over from ${from} to ${to}: promoting`;
    const target = node(to);
    const bad = await promoteAndVerify(target, timings);
    if (bad) {
      state.waiting = `${bad}; ${from} is fenced, no primary: fix ${to} or force another node`;
      state.waitingForTarget = false;
      if (!state.fenced.includes(from)) state.fenced.push(from);
      state.primary = null;
      record({ kind: 'verify-failed', from, to, timings, candidates: c, reason: state.waiting, by });
      tell('FailoverVerifyFailed', 'critical', `${spec.name}: ${state.waiting}`, { node: to });
      state.explain = state.waiting;
      return;
    }
    // The record of the primary moves here, before repointing: from now on, the leader is `to`.
    state.primary = to;
    refresh(from, to);
    if (!state.fenced.includes(from)) state.fenced.push(from);
    state.fenced = state.fenced.filter((n) => n !== to);
    const repointErrors = await repoint(target, timings);
    timings.total = Date.now() - t0 + timings.detect;
    if (!forcedTo) state.failovers.push(Date.now());
    state.waiting = null;
    state.waitingForTarget = false;
    const reason =
      `${from} → ${to}` +
      (fenceError ? ` (not fenced: ${fenceError})` : '') +
      (repointErrors.length ? `; repoint failed: ${repointErrors.join('; ')}` : '') +
      `; ${state.explain.startsWith('failing') ? '' : state.explain}`;
    const ev = record({ kind, from, to, timings, candidates: c, reason: reason.replace(/; $/, ''), by });
    tell(
      'FailoverCompleted',
      repointErrors.length ? 'critical' : 'warning',
      `${spec.name}: ${ev.reason}; ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}`,
      { node: to },
    );
    state.alerted = null;
  };

  const switchover = async (to: string, by: string): Promise<void> => {
    const from = state.primary!;
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    setState('failing-over');
    state.explain = `switching over from ${from} to ${to}`;
    if (spec.actions.demote) {
      const errors = await runActions('demote', [spec.actions.demote], node(from), {
        HA_TARGET: to,
        HA_TARGET_HOST: node(to).host,
      });
      timings.demote = Date.now() - t0;
      if (errors.length) {
        record({
          kind: 'switchover',
          from,
          to: null,
          timings,
          candidates: [],
          reason: `demote of ${from} failed: ${errors.join('; ')}; nothing promoted`,
          by,
        });
        tell('SwitchoverFailed', 'warning', `${spec.name}: demote of ${from} failed: ${errors.join('; ')}`, {
          node: from,
        });
        return;
      }
    }
    const bad = await promoteAndVerify(node(to), timings);
    if (bad) {
      state.waiting = `${bad} after ${from} was demoted: no primary`;
      state.waitingForTarget = false;
      state.primary = null;
      record({ kind: 'verify-failed', from, to, timings, candidates: [], reason: state.waiting, by });
      tell('FailoverVerifyFailed', 'critical', `${spec.name}: ${state.waiting}`, { node: to });
      return;
    }
    state.primary = to;
    state.waitingForTarget = false;
    refresh(from, to);
    state.fenced = state.fenced.filter((n) => n !== to);
    delete state.standbySince[to];
    const repointErrors = await repoint(node(to), timings);
    timings.total = Date.now() - t0;
    record({
      kind: 'switchover',
      from,
      to,
      timings,
      candidates: [],
      reason: `planned: ${from} → ${to}${repointErrors.length ? `; repoint failed: ${repointErrors.join('; ')}` : ''}`,
      by,
    });
    // A planned switchover is recorded, not alerted: nothing went wrong.
  };

  const splitBrain = async (rogue: string[], explain: string): Promise<void> => {
    setState('split-brain');
    const fenced: string[] = [];
    const errors: string[] = [];
    for (const r of rogue) {
      const err = await fence(node(r));
      refresh(r);
      if (!state.fenced.includes(r)) state.fenced.push(r);
      if (err) errors.push(`${r}: ${err}`);
      else fenced.push(r);
    }
    const reason = `${explain}; ${fenced.length ? `fenced ${fenced.join(', ')}` : 'nothing fenced'}${errors.length ? `; fence failed: ${errors.join('; ')}` : ''}`;
    record({ kind: 'split-brain', from: null, to: null, timings: {}, candidates: [], reason, by: null });
    tell('SplitBrain', 'critical', `${spec.name}: ${reason}`);
  };

  const operate = (what: string, fn: () => Promise<void>): void => {
    busy = what;
    void fn()
      .catch((err) => log.error(`${what} failed`, { error: message(err) }))
      .finally(() => {
        busy = null;
        changed();
      });
  };

  // -- what people ask ---------------------------------------------------------------------------
  const refuse = (why: string | null): void => {
    if (why) throw new Error(why);
  };
  const notBusy = (): void => refuse(busy ? `the group is busy: ${busy}` : null);
  const doSwitchover = (r: SwitchoverRequest): string => {
    if (r.at !== undefined && Date.parse(r.at) > Date.now()) {
      state.pendingSwitchover = { to: r.to, at: r.at, by: r.by };
      changed();
      return `switchover to ${r.to} at ${r.at}`;
    }
    operate(`switchover to ${r.to}`, () => switchover(r.to, r.by));
    changed();
    return `switching over from ${state.primary} to ${r.to}`;
  };
  const doForce = (r: ForceRequest): string => {
    const from = state.primary;
    if (from) operate(`forced failover to ${r.to}`, () => failover(from, r.to, r.by));
    else
      operate(`forced promotion of ${r.to}`, async () => {
        const timings: Record<string, number> = {};
        const bad = await promoteAndVerify(node(r.to), timings);
        if (!bad) {
          state.primary = r.to;
          refresh(r.to);
          state.fenced = state.fenced.filter((n) => n !== r.to);
          state.waiting = null;
          state.waitingForTarget = false;
          await repoint(node(r.to), timings);
        }
        record({
          kind: 'forced',
          from: null,
          to: bad ? null : r.to,
          timings,
          candidates: [],
          reason: bad ?? `${r.to} promoted by hand`,
          by: r.by,
        });
      });
    changed();
    return `failing over to ${r.to}`;
  };
  const doPause = (r: PauseRequest): string => {
    state.paused = r.paused;
    record({
      kind: r.paused ? 'paused' : 'resumed',
      from: null,
      to: null,
      timings: {},
      candidates: [],
      reason: `${r.by}${r.reason ? `: ${r.reason}` : ''}`,
      by: r.by,
    });
    changed();
    return r.paused ? 'paused: nodes are watched, nothing is failed over' : 'resumed';
  };
  const guarded =
    <T>(check: (r: T) => string | null, apply: (r: T) => string) =>
    (r: T): void => {
      const why = check(r) ?? (busy ? `the group is busy: ${busy}` : null);
      if (why) log.warn('refused', { error: why });
      else apply(r);
    };
  const checkSw = (r: SwitchoverRequest): string | null =>
    checkSwitchover(r, spec, views(), state.primary, Date.now());
  const checkFo = (r: ForceRequest): string | null => checkForce(r, spec, state.primary);
  setHandler(switchoverUpdate, doSwitchover, { validator: (r) => (refuse(checkSw(r)), notBusy()) });
  setHandler(forceFailoverUpdate, doForce, { validator: (r) => (refuse(checkFo(r)), notBusy()) });
  setHandler(pauseGroupUpdate, doPause, { validator: (r) => refuse(checkPause(r)) });
  setHandler(switchoverSignal, guarded(checkSw, doSwitchover));
  setHandler(forceFailoverSignal, guarded(checkFo, doForce));
  setHandler(pauseGroupSignal, guarded(checkPause, doPause));
  const groupState = (): GroupView['state'] =>
    busy
      ? 'failing-over'
      : state.paused
        ? 'paused'
        : state.waiting
          ? 'waiting'
          : state.primary
            ? 'healthy'
            : 'no-primary';
  const groupView = (): GroupView => ({
    group: spec.name,
    state: groupState(),
    primary: state.primary,
    mode: spec.mode,
    paused: state.paused,
    nodes: views(),
    lastEvent: state.history.at(-1) ?? null,
    explain: state.explain,
    pendingSwitchover: state.pendingSwitchover,
    primaryChanges: state.primaryChanges ?? countPrimaryChanges(state.history),
    lastPrimaryChange: [...state.history].reverse().find(changedPrimary) ?? null,
  });
  // The memo keeps what the query answers: `hactl status` lists every group's view at once.
  const publish = viewPublisher();
  setHandler(groupQuery, groupView);
  setHandler(failoverHistoryQuery, () => state.history);
  onReconfigure<FailoverInput>((next) => {
    spec = next.spec;
    for (const w of watches.values()) w.cancel();
    changed();
  });

  // -- the loop ---------------------------------------------------------------------------------
  let lastState = '';
  for (;;) {
    const now = Date.now();
    ensureWatches(now);
    if (!busy) {
      const ps = state.pendingSwitchover;
      if (ps && Date.parse(ps.at) <= now) {
        state.pendingSwitchover = null;
        const why = checkSwitchover({ to: ps.to, by: ps.by }, spec, views(), state.primary, now);
        if (why)
          record({
            kind: 'switchover',
            from: state.primary,
            to: null,
            timings: {},
            candidates: [],
            reason: `scheduled switchover to ${ps.to} not done: ${why}`,
            by: ps.by,
          });
        else operate(`switchover to ${ps.to}`, () => switchover(ps.to, ps.by));
      }
    }
    if (!busy) {
      const vs = views();
      const d = assess({
        spec,
        views: vs,
        primary: state.primary,
        paused: state.paused,
        failovers: state.failovers,
        now,
      });
      state.explain = state.waiting && d.type !== 'steady' ? `${state.waiting} (${d.explain})` : d.explain;
      if (d.type === 'steady') {
        state.alerted = null;
        if (state.waiting && state.primary && vs.find((v) => v.name === state.primary)?.health === 'up')
          state.waiting = null;
        state.waitingForTarget = false;
      } else if (d.type === 'discover') {
        state.primary = d.primary;
        record({
          kind: 'discovered',
          from: null,
          to: d.primary,
          timings: {},
          candidates: [],
          reason: d.explain,
          by: null,
        });
      } else if (d.type === 'disputed')
        tellOnce(`disputed`, 'FailoverDisputed', 'warning', `${spec.name}: ${d.explain}`);
      else if (d.type === 'split-brain') {
        if (state.primary === null)
          tellOnce(`split:${d.rogue.join(',')}`, 'SplitBrain', 'critical', `${spec.name}: ${d.explain}`);
        else operate(`fencing ${d.rogue.join(', ')} (split brain)`, () => splitBrain(d.rogue, d.explain));
      } else if (d.type === 'blocked') {
        if (d.why === 'max-failovers' && !state.paused) {
          state.paused = true;
          record({
            kind: 'paused',
            from: null,
            to: null,
            timings: {},
            candidates: [],
            reason: d.explain,
            by: null,
          });
          tell('FailoverPaused', 'critical', `${spec.name}: ${d.explain}`);
        } else
          tellOnce(
            `blocked:${d.why}`,
            'FailoverBlocked',
            d.why === 'cooldown' ? 'warning' : 'critical',
            `${spec.name}: ${d.explain}`,
          );
      } else if (d.type === 'no-target') {
        if (state.alerted !== 'no-target') {
          record({
            kind: 'no-target',
            from: d.from,
            to: null,
            timings: {},
            candidates: d.candidates,
            reason: d.explain,
            by: null,
          });
          tellOnce('no-target', 'FailoverNoTarget', 'critical', `${spec.name}: ${d.explain}`);
        }
      } else if (
        d.type === 'failover' &&
        (!state.waiting || (state.waitingForTarget && patched(WAIT_FOR_REPORTS)))
      ) {
        // A failover that found no node to promote ends by itself once one can.
        state.waiting = null;
        state.waitingForTarget = false;
        const from = d.from;
        state.explain = d.explain;
        operate(`failover from ${from}`, () => failover(from, null, null));
      }
      // Automatic failback: a fenced former primary, a healthy standby for failbackAfter.
      if (!busy && spec.failbackAfterMs !== null && state.primary && !state.paused) {
        for (const v of vs) {
          if (!v.fenced) continue;
          if (v.health === 'up' && v.role === 'standby') state.standbySince[v.name] ??= now;
          else delete state.standbySince[v.name];
          const since = state.standbySince[v.name];
          if (since !== undefined && now - since >= spec.failbackAfterMs && !busy) {
            delete state.standbySince[v.name];
            const to = v.name;
            operate(`failback to ${to}`, () => switchover(to, 'failback'));
          }
        }
      }
    }
    const doing = busy as string | null; // set by the operations' closures
    const st = doing
      ? doing.includes('split brain')
        ? 'split-brain'
        : 'failing-over'
      : state.paused
        ? 'paused'
        : state.waiting
          ? 'waiting'
          : (state.primary ?? 'no-primary');
    if (st !== lastState) {
      setState(st);
      lastState = st;
    }
    setCurrentDetails(
      `**${groupState()}**, primary ${state.primary ?? '(none)'}\n\n` +
        views()
          .map(
            (v) =>
              `- ${v.name} on ${v.host}: ${v.role}, ${v.health} (${v.healthyVotes}/${spec.observers.length} healthy)${v.fenced ? ', fenced' : ''}`,
          )
          .join('\n') +
        `\n\n${state.explain}`,
    );
    publish(groupView());
    if (
      !busy &&
      (eventsThisRun >= (input.maxEventsPerRun ?? MAX_EVENTS_PER_RUN) ||
        workflowInfo().continueAsNewSuggested)
    ) {
      for (const w of watches.values()) w.cancel();
      await continueAsNew<typeof failoverGroupWorkflow>({
        spec,
        state,
        ...(input.maxEventsPerRun ? { maxEventsPerRun: input.maxEventsPerRun } : {}),
      });
    }
    dirty = false;
    const wakes = [
      ...[...retryAt.values()],
      state.pendingSwitchover ? Date.parse(state.pendingSwitchover.at) : null,
      spec.failbackAfterMs !== null
        ? Math.min(
            ...Object.values(state.standbySince).map((t) => t + spec.failbackAfterMs!),
            Number.POSITIVE_INFINITY,
          )
        : null,
      // A cooldown that ends may let a blocked failover happen.
      state.failovers.length ? Math.max(...state.failovers) + spec.cooldownMs : null,
    ].filter((t): t is number => t !== null && Number.isFinite(t) && t > Date.now());
    if (wakes.length) await condition(() => dirty, Math.max(1, Math.min(...wakes) - Date.now()));
    else await condition(() => dirty);
  }
}
