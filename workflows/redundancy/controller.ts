// redundancy:<service> — keeps the wanted number of healthy instances of one service. Probe
// watches on the hosts report only changes of health; the pure ladder in
// src/redundancy/model/decide.ts says what to do (restart in place, move, start, stop, give
// up), and this workflow does it through host activities, recording each decision with its
// reason. Long-running: it continues as new with its state.
// Over 400 lines on purpose: the watches, the actions and the handlers all work on the one state
// of the run (instances, busy set, orphans), which closures over it keep in one place.
import {
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { hostTaskQueue, MEMO } from '../../src/core/names';
import { WATCH_HEARTBEAT_TIMEOUT_MS } from '../../src/core/probe';
import { SA_KEYS } from '../../src/core/search-attributes';
import { decide, markFailed, markHealthy, markLost, serviceHealth } from '../../src/redundancy/model/decide';
import { REDUNDANCY_FAILURES } from '../../src/redundancy/model/failures';
import { checkPause, checkRestart, checkScale } from '../../src/redundancy/model/requests';
import type { PauseRequest, RestartRequest, ScaleRequest } from '../../src/redundancy/model/requests';
import type {
  Action,
  HistoryEntry,
  HostLoad,
  Instance,
  ServiceHealth,
  ServiceSpec,
  ServiceView,
} from '../../src/redundancy/model/types';
import type { RedundancyActivities } from '../../activities/redundancy';
import { onReconfigure, viewPublisher } from '../shared/controller';
import { reportEvent } from '../shared/events';
import {
  pauseSignal,
  pauseUpdate,
  restartSignal,
  restartUpdate,
  scaleSignal,
  scaleUpdate,
  serviceHistoryQuery,
  serviceQuery,
} from './messages';

export interface RedundancyState {
  instances: Instance[];
  nextIndex: number;
  paused: boolean;
  scaledTo: number | null;
  /** Instances left on a host whose worker was away; stopped there when it is back. */
  orphans: Array<{ instance: string; host: string; generation: number; since: string }>;
  history: HistoryEntry[];
  health: ServiceHealth | null;
  /** Health events are told once the service was healthy, or its start-up grace is over. */
  announce: boolean;
  createdAt: number;
  lastReason: string;
  /** Instances still to restart on request (one at a time), and the one being restarted. */
  rolling: { queue: string[]; current: string | null; by: string };
}

export interface RedundancyInput {
  spec: ServiceSpec;
  /** Hosts in maintenance: nothing is placed there, and what runs there moves away. */
  maintenance: string[];
  state?: RedundancyState;
  maxEventsPerRun?: number;
}

const MAX_HISTORY = 300;
const MAX_EVENTS_PER_RUN = 2000;
/** A watch renews after this long, unchanged (3 history events per renewal and instance). */
const WATCH_RENEW_MS = 6 * 3_600_000;
/** A worker that misses heartbeats this long is gone (the watch heartbeats every 2 s). */
const HEARTBEAT_MS = 10_000;
/** How often the controller looks again at a host whose worker does not answer. */
const LOST_RETRY_MS = 10_000;
/** How long after a left-behind stop failed for good it is tried again. */
const ORPHAN_RETRY_MS = 60_000;

const iso = (ms: number): string => new Date(ms).toISOString();

export async function redundancyWorkflow(input: RedundancyInput): Promise<void> {
  let spec = input.spec;
  let maintenance = input.maintenance;
  const state: RedundancyState = input.state ?? {
    instances: [],
    nextIndex: 1,
    paused: false,
    scaledTo: null,
    orphans: [],
    history: [],
    health: null,
    announce: false,
    createdAt: Date.now(),
    lastReason: 'started',
    rolling: { queue: [], current: null, by: '' },
  };
  let dirty = true;
  let eventsThisRun = 0;
  const busy = new Set<string>();
  const watches = new Map<string, CancellationScope>();
  const orphanStops = new Map<string, CancellationScope>();
  /** Left-behind stops that failed for good (a command not found, say): tried again later. */
  const orphanRetryAt = new Map<string, number>();
  let lastLoads: HostLoad[] = [];

  const cmdTimeout = (): number => Math.max(spec.start.timeoutMs, spec.stop.timeoutMs);
  const acts = (host: string) =>
    proxyActivities<RedundancyActivities>({
      taskQueue: hostTaskQueue(host),
      // A host whose worker is away fails the step soon; the ladder then moves the instance.
      scheduleToStartTimeout: '30 seconds',
      startToCloseTimeout: 2 * cmdTimeout() + 60_000,
      scheduleToCloseTimeout: 3 * (2 * cmdTimeout() + 60_000),
      heartbeatTimeout: HEARTBEAT_MS,
      retry: {
        initialInterval: '1 second',
        maximumAttempts: 3,
        // A failed command is the ladder's business (backoff, move), not a quick retry's.
        nonRetryableErrorTypes: [
          REDUNDANCY_FAILURES.actionFailed,
          REDUNDANCY_FAILURES.commandNotFound,
          REDUNDANCY_FAILURES.secretMissing,
        ],
      },
    });
  const watcher = (host: string) =>
    proxyActivities<RedundancyActivities>({
      taskQueue: hostTaskQueue(host),
      scheduleToStartTimeout: '15 seconds',
      startToCloseTimeout: WATCH_RENEW_MS + 600_000,
      heartbeatTimeout: WATCH_HEARTBEAT_TIMEOUT_MS,
      retry: { maximumAttempts: 1 },
      cancellationType: 'TRY_CANCEL',
    });
  const orphanActs = (host: string) =>
    proxyActivities<RedundancyActivities>({
      taskQueue: hostTaskQueue(host),
      startToCloseTimeout: 2 * cmdTimeout() + 60_000,
      heartbeatTimeout: HEARTBEAT_MS,
      // Waits for the host's worker to come back, however long that takes.
      retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
    });
  const { serviceHostLoads } = proxyActivities<RedundancyActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 3 },
  });

  const record = (what: string, inst: { id: string; host: string } | null, reason: string): void => {
    state.history.push({
      at: iso(Date.now()),
      instance: inst?.id ?? null,
      host: inst?.host ?? null,
      what,
      reason,
    });
    if (state.history.length > MAX_HISTORY) state.history.splice(0, state.history.length - MAX_HISTORY);
    state.lastReason = reason;
    log.info(`${spec.name}: ${what}${inst ? ` ${inst.id}@${inst.host}` : ''}: ${reason}`);
  };
  const find = (id: string): Instance | undefined => state.instances.find((i) => i.id === id);
  const put = (next: Instance): void => {
    const i = state.instances.findIndex((x) => x.id === next.id);
    if (i >= 0) state.instances[i] = next;
    else state.instances.push(next);
  };
  const changed = (): void => {
    dirty = true;
    eventsThisRun++;
  };
  const desired = (): number => state.scaledTo ?? spec.minInstances;
  const actInput = (inst: Instance) => ({
    service: spec.name,
    instance: inst.id,
    generation: inst.generation,
    start: spec.start,
    stop: spec.stop,
    status: spec.status,
    probes: spec.probes,
  });
  const message = (err: unknown): string => {
    let e = err as { message?: string; cause?: unknown };
    // An activity failure's cause says what happened on the host.
    while (e?.cause && (e.cause as { message?: string }).message) e = e.cause;
    return e?.message ?? String(err);
  };
  const event = (
    alertname: string,
    severity: string,
    inst: { host: string } | null,
    summary: string,
  ): void => {
    void reportEvent({
      labels: { alertname, service: spec.name, severity, ...(inst ? { host: inst.host } : {}) },
      annotations: { summary },
    });
  };

  // -- watches: one per instance, on its host; they report only changes --------------------
  const stopWatch = (id: string): void => {
    const w = watches.get(id);
    if (w) {
      w.cancel();
      watches.delete(id);
    }
  };
  const startWatch = (inst: Instance): void => {
    const scope = new CancellationScope();
    watches.set(inst.id, scope);
    const { id, host, generation } = inst;
    const believed =
      inst.state === 'healthy' ? 'healthy' : inst.state === 'unhealthy' ? 'unhealthy' : 'starting';
    const startedAt = inst.state === 'starting' ? Date.parse(inst.since) : null;
    scope
      .run(() =>
        watcher(host).serviceWatch({
          service: spec.name,
          instance: id,
          probes: spec.probes,
          believed,
          startedAt,
          renewAfterMs: WATCH_RENEW_MS,
        }),
      )
      .then(
        (r) => {
          const cur = find(id);
          if (!cur || cur.host !== host || cur.generation !== generation || busy.has(id) || !r) return;
          if (r.healthy) {
            put(markHealthy(cur, Date.now(), r.reason));
            record('healthy', cur, r.reason);
            if (state.rolling.current === id) state.rolling.current = null;
          } else {
            put(markFailed(cur, Date.now(), r.reason, spec.restart, Math.random()));
            record('unhealthy', cur, r.reason);
          }
        },
        (err) => {
          if (isCancellation(err)) return;
          const cur = find(id);
          if (!cur || cur.host !== host || cur.generation !== generation || busy.has(id)) return;
          const why = `worker of ${host} not answering (${message(err)})`;
          put({ ...markLost(cur, Date.now(), why), notBefore: Date.now() + LOST_RETRY_MS });
          record('lost', cur, why);
        },
      )
      .finally(() => {
        if (watches.get(id) === scope) watches.delete(id);
        changed();
      });
  };

  // -- actions ---------------------------------------------------------------------------------
  const dropOrphan = (id: string, host: string): void => {
    const key = `${id}@${host}`;
    orphanStops.get(key)?.cancel();
    orphanStops.delete(key);
    orphanRetryAt.delete(key);
    state.orphans = state.orphans.filter((o) => !(o.instance === id && o.host === host));
  };
  const startOn = async (inst: Instance, how: 'serviceStart' | 'serviceRestart'): Promise<void> => {
    // An instance coming back to a host where it was left behind takes over what runs there.
    dropOrphan(inst.id, inst.host);
    try {
      const r = await acts(inst.host)[how](actInput(inst));
      const cur = find(inst.id);
      if (cur) record(r.outcome === 'running' ? 'adopted' : 'started', cur, r.detail);
    } catch (err) {
      const cur = find(inst.id);
      if (!cur) return;
      const why = message(err);
      put(markFailed(cur, Date.now(), why, spec.restart, Math.random()));
      record('start-failed', cur, why);
    }
  };
  const leaveBehind = (inst: Instance, host: string, why: string): void => {
    state.orphans.push({ instance: inst.id, host, generation: inst.generation, since: iso(Date.now()) });
    record('left-behind', { id: inst.id, host }, why);
  };
  const fresh = (inst: Instance, host: string, now: number): Instance => ({
    ...inst,
    host,
    state: 'starting',
    since: iso(now),
    generation: inst.generation + 1,
    notBefore: null,
  });

  const run = async (a: Action): Promise<void> => {
    busy.add(a.instance);
    try {
      const now = Date.now();
      if (a.type === 'start') {
        const inst: Instance = {
          id: a.instance,
          host: a.host,
          state: 'starting',
          since: iso(now),
          restarts: [],
          restartsTotal: 0,
          failures: 0,
          failingSince: null,
          notBefore: null,
          generation: 1,
          lastReason: a.reason,
        };
        state.nextIndex = Math.max(state.nextIndex, Number(a.instance.slice(spec.name.length + 1)) + 1);
        put(inst);
        record('start', inst, a.reason);
        await startOn(inst, 'serviceStart');
      } else if (a.type === 'restart') {
        stopWatch(a.instance);
        const cur = find(a.instance)!;
        const inst: Instance = {
          ...fresh(cur, cur.host, now),
          restarts: [...cur.restarts.filter((t) => now - t < spec.restart.windowMs), now],
          restartsTotal: cur.restartsTotal + 1,
          lastReason: a.reason,
        };
        put(inst);
        record('restart', inst, a.reason);
        await startOn(inst, 'serviceRestart');
      } else if (a.type === 'move') {
        stopWatch(a.instance);
        const cur = find(a.instance)!;
        record('move', cur, a.reason);
        event('ServiceMoved', 'info', { host: a.to }, `${spec.name}: ${a.reason}`);
        if (cur.state === 'lost') leaveBehind(cur, a.from, `its worker was away when it moved to ${a.to}`);
        else {
          try {
            await acts(a.from).serviceStop(actInput(cur));
          } catch (err) {
            leaveBehind(cur, a.from, `stop failed (${message(err)}); stopped when its host can`);
          }
        }
        const inst: Instance = { ...fresh(cur, a.to, Date.now()), restarts: [], lastReason: a.reason };
        put(inst);
        await startOn(inst, 'serviceStart');
      } else if (a.type === 'stop') {
        stopWatch(a.instance);
        const cur = find(a.instance)!;
        put({ ...cur, state: 'stopping', since: iso(now), lastReason: a.reason });
        record('stop', cur, a.reason);
        if (cur.state === 'lost') leaveBehind(cur, cur.host, 'its worker was away when it was stopped');
        else {
          try {
            await acts(cur.host).serviceStop(actInput(cur));
          } catch (err) {
            leaveBehind(cur, cur.host, `stop failed (${message(err)}); stopped when its host can`);
          }
        }
        state.instances = state.instances.filter((i) => i.id !== a.instance);
      } else if (a.type === 'give-up') {
        stopWatch(a.instance);
        const cur = find(a.instance)!;
        put({ ...cur, state: 'failed', since: iso(now), notBefore: null, lastReason: a.reason });
        record('give-up', cur, a.reason);
        event('ServiceGaveUp', 'critical', cur, `${spec.name}: gave up on ${cur.id}: ${a.reason}`);
      }
    } finally {
      busy.delete(a.instance);
      changed();
    }
  };

  const stopOrphans = (now: number): void => {
    for (const o of state.orphans) {
      const key = `${o.instance}@${o.host}`;
      if (orphanStops.has(key) || (orphanRetryAt.get(key) ?? 0) > now) continue;
      orphanRetryAt.delete(key);
      const scope = new CancellationScope();
      orphanStops.set(key, scope);
      scope
        .run(() =>
          orphanActs(o.host).serviceStop({
            service: spec.name,
            instance: o.instance,
            generation: o.generation,
            start: spec.start,
            stop: spec.stop,
            status: spec.status,
            probes: spec.probes,
          }),
        )
        .then(
          () => {
            if (!state.orphans.includes(o)) return;
            state.orphans = state.orphans.filter((x) => x !== o);
            record(
              'stopped-left-behind',
              { id: o.instance, host: o.host },
              `left behind since ${o.since}; stopped`,
            );
          },
          (err) => {
            if (isCancellation(err)) return;
            orphanRetryAt.set(key, Date.now() + ORPHAN_RETRY_MS);
            log.warn('could not stop an instance left behind; trying again later', { error: message(err) });
          },
        )
        .finally(() => {
          if (orphanStops.get(key) === scope) orphanStops.delete(key);
          changed();
        });
    }
  };

  // -- what people ask -------------------------------------------------------------------------
  const refuse = (why: string | null): void => {
    if (why) throw new Error(why);
  };
  const restart = (r: RestartRequest): string => {
    const targets = state.instances.filter((i) => r.host === undefined || i.host === r.host);
    for (const t of targets) {
      // A restart asked for by a person also revives an instance that was given up.
      if (t.state === 'failed')
        put({ ...t, state: 'unhealthy', failures: 0, failingSince: null, notBefore: null, restarts: [] });
    }
    state.rolling = {
      queue: [
        ...state.rolling.queue,
        ...targets.map((t) => t.id).filter((id) => !state.rolling.queue.includes(id)),
      ],
      current: state.rolling.current,
      by: r.by,
    };
    record(
      'restart-requested',
      null,
      `${r.by || 'someone'} asked to restart ${targets.map((t) => t.id).join(', ')}`,
    );
    changed();
    return `restarting ${targets.map((t) => `${t.id} on ${t.host}`).join(', ')}, one at a time`;
  };
  const scale = (r: ScaleRequest): string => {
    state.scaledTo = r.instances;
    // Drift from the config: the next `hactl apply` sees it and sends the config back.
    upsertMemo({ [MEMO.configHash]: 'scaled by hand' });
    record('scaled', null, `${r.by || 'someone'} scaled to ${r.instances} instance(s) until the next apply`);
    changed();
    return `scaled to ${r.instances} (was ${spec.minInstances} in the config); the next hactl apply restores the config's value`;
  };
  const pause = (r: PauseRequest): string => {
    state.paused = r.paused;
    record(
      r.paused ? 'paused' : 'resumed',
      null,
      `${r.by || 'someone'} ${r.paused ? 'paused' : 'resumed'} the service${r.reason ? `: ${r.reason}` : ''}`,
    );
    changed();
    return r.paused ? 'paused: probes go on, no action is taken' : 'resumed';
  };
  const guarded =
    <T>(check: (r: T) => string | null, apply: (r: T) => string) =>
    (r: T): void => {
      const why = check(r);
      if (why) log.warn('refused', { error: why });
      else apply(r);
    };
  setHandler(restartUpdate, restart, { validator: (r) => refuse(checkRestart(r, state.instances)) });
  setHandler(scaleUpdate, scale, { validator: (r) => refuse(checkScale(r)) });
  setHandler(pauseUpdate, pause, { validator: (r) => refuse(checkPause(r)) });
  setHandler(
    restartSignal,
    guarded((r: RestartRequest) => checkRestart(r, state.instances), restart),
  );
  setHandler(scaleSignal, guarded(checkScale, scale));
  setHandler(pauseSignal, guarded(checkPause, pause));
  setHandler(serviceQuery, (): ServiceView => view());
  // The memo keeps what the query answers: `hactl status` lists every service's view at once.
  const publish = viewPublisher();
  setHandler(serviceHistoryQuery, () => state.history);
  onReconfigure<RedundancyInput>((next) => {
    spec = next.spec;
    maintenance = next.maintenance;
    // Watches probe with the new spec from now on (restarted by the loop).
    for (const id of [...watches.keys()]) stopWatch(id);
    if (state.scaledTo !== null)
      record('scaled', null, `apply restored ${spec.minInstances} instance(s) from the config`);
    state.scaledTo = null;
    changed();
  });

  const view = (): ServiceView => ({
    service: spec.name,
    health: serviceHealth(state.instances, desired(), state.paused),
    paused: state.paused,
    desired: desired(),
    scaledTo: state.scaledTo,
    minInstances: spec.minInstances,
    maxInstances: spec.maxInstances,
    healthy: state.instances.filter((i) => i.state === 'healthy').length,
    instances: state.instances,
    orphans: state.orphans.map(({ instance, host, since }) => ({ instance, host, since })),
    lastReason: state.lastReason,
  });

  /** Start-up grace: long enough for the first instances to start and pass their probes. */
  const graceMs = (): number => {
    const p = spec.probes[0];
    const probeMs = p ? p.initialDelayMs + (p.failureThreshold + p.successThreshold) * p.intervalMs : 0;
    return spec.start.timeoutMs + probeMs + 30_000;
  };
  const tell = (): void => {
    const h = serviceHealth(state.instances, desired(), state.paused);
    if (h === 'healthy') state.announce = true;
    if (!state.announce && Date.now() - state.createdAt >= graceMs()) state.announce = true;
    if (h === state.health) return;
    const prev = state.health;
    state.health = h;
    upsertSearchAttributes([{ key: SA_KEYS.state, value: h }]);
    if (!state.announce || h === 'paused' || prev === 'paused') return;
    const healthy = state.instances.filter((i) => i.state === 'healthy').length;
    const why = state.lastReason;
    if (h === 'down')
      event(
        'ServiceDown',
        'critical',
        null,
        `${spec.name}: no healthy instance (${desired()} wanted); ${why}`,
      );
    else if (h === 'degraded')
      event(
        'ServiceDegraded',
        'warning',
        null,
        `${spec.name}: ${healthy} of ${desired()} instances healthy; ${why}`,
      );
    else if (prev !== null && prev !== 'healthy')
      event(
        'ServiceRecovered',
        'info',
        null,
        `${spec.name}: ${healthy} of ${desired()} instances healthy again`,
      );
  };
  const describe = (): void => {
    const v = view();
    setCurrentDetails(
      `**${v.health}**: ${v.healthy}/${v.desired} healthy${v.paused ? ' (paused)' : ''}\n\n` +
        v.instances
          .map((i) => `- ${i.id} on ${i.host}: ${i.state} since ${i.since} — ${i.lastReason}`)
          .join('\n') +
        `\n\nlast: ${state.lastReason}`,
    );
  };

  let lastUnplaced: string | null = null;
  let nextGraceCheck: number | null = state.announce ? null : state.createdAt + graceMs();
  for (;;) {
    const now = Date.now();
    // Watches for every instance that can be seen; a lost one is looked at again after a while.
    for (const inst of state.instances) {
      if (busy.has(inst.id) || watches.has(inst.id)) continue;
      if (inst.state === 'starting' || inst.state === 'healthy' || inst.state === 'unhealthy')
        startWatch(inst);
      else if (inst.state === 'lost' && (inst.notBefore === null || inst.notBefore <= now)) {
        put({ ...inst, notBefore: now + LOST_RETRY_MS });
        startWatch({ ...inst, state: 'starting', since: iso(0) });
      }
    }
    stopOrphans(now);
    // A manual restart, one instance at a time (the next once the last one is back).
    const r = state.rolling;
    while (r.current === null && r.queue.length) {
      const id = r.queue.shift()!;
      const inst = find(id);
      if (!inst || busy.has(id)) continue;
      r.current = id;
      void run({
        type: 'restart',
        instance: id,
        host: inst.host,
        reason: `requested by ${r.by || 'someone'}`,
      });
    }
    if (r.current !== null) {
      const cur = find(r.current);
      if (!cur || (!busy.has(cur.id) && cur.state !== 'starting')) r.current = null;
    }
    // The ladder: decide with what is known; if it places anything, with fresh host loads.
    const base = {
      spec: { ...spec },
      instances: state.instances,
      busy,
      desired: desired(),
      max: state.scaledTo ?? spec.maxInstances,
      paused: state.paused,
      nextIndex: state.nextIndex,
      now,
    };
    const draining = maintenance.some((h) => state.instances.some((i) => i.host === h));
    let decision = decide({ ...base, loads: lastLoads });
    if (
      decision.actions.some((a) => a.type === 'move' || a.type === 'start') ||
      draining ||
      decision.unplaced
    ) {
      try {
        lastLoads = await serviceHostLoads({ hosts: spec.hosts, maintenance });
      } catch (err) {
        log.warn('could not read host loads; placing without them', { error: message(err) });
        lastLoads = spec.hosts.map((h) => ({
          host: h,
          up: true,
          maintenance: maintenance.includes(h),
          cpu: null,
          memory: null,
        }));
      }
      decision = decide({ ...base, now: Date.now(), instances: state.instances, loads: lastLoads });
    }
    if (decision.unplaced !== lastUnplaced && decision.unplaced) record('unplaced', null, decision.unplaced);
    lastUnplaced = decision.unplaced;
    for (const a of decision.actions) void run(a);
    tell();
    describe();
    publish(view());
    if (nextGraceCheck !== null && state.announce) nextGraceCheck = null;

    if (
      (eventsThisRun >= (input.maxEventsPerRun ?? MAX_EVENTS_PER_RUN) ||
        workflowInfo().continueAsNewSuggested) &&
      busy.size === 0
    ) {
      for (const w of watches.values()) w.cancel();
      for (const o of orphanStops.values()) o.cancel();
      await continueAsNew<typeof redundancyWorkflow>({
        spec,
        maintenance,
        state,
        ...(input.maxEventsPerRun ? { maxEventsPerRun: input.maxEventsPerRun } : {}),
      });
    }
    dirty = false;
    const wakeAt = [
      decision.wakeAt,
      nextGraceCheck,
      ...state.instances.filter((i) => i.state === 'lost' && i.notBefore !== null).map((i) => i.notBefore!),
      ...orphanRetryAt.values(),
      // Only what is still ahead: a lost instance whose retry time passed while its watch still
      // waits for the host is woken by that watch, not by a timer that fires at once, again.
    ].filter((t): t is number => t !== null && t > Date.now());
    if (wakeAt.length) await condition(() => dirty, Math.max(1, Math.min(...wakeAt) - Date.now()));
    else await condition(() => dirty);
  }
}
