// The escalation ladder, as pure functions: probe → restart in place → move to another host →
// alert → keep trying. The controller workflow feeds them its instances and the hosts' loads
// and carries out what they return; each action comes with the reason it is recorded under.
import { formatDuration } from '../../core/duration';
import type { Action, HostLoad, Instance, RestartPolicy, ServiceHealth, ServiceSpec } from './types';

/**
 * Wait before the attempt after `failures` consecutive failed ones: the first retry is at once
 * (as Kubernetes restarts a crashed container), then initial × factor^(n-2), capped, ±jitter.
 * `rand` is in [0, 1) (the workflow's deterministic Math.random).
 */
export function backoffMs(policy: RestartPolicy, failures: number, rand: number): number {
  if (failures <= 1) return 0;
  const { initialMs, maxMs, factor, jitter } = policy.backoff;
  const base = Math.min(maxMs, initialMs * factor ** (failures - 2));
  return Math.max(0, Math.round(base * (1 + jitter * (2 * rand - 1))));
}

/** Restarts in place that still count: those within the window. */
export function recentRestarts(inst: Instance, policy: RestartPolicy, now: number): number[] {
  return inst.restarts.filter((t) => now - t < policy.windowMs);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The instance's probes passed: healthy, and its backoff starts over once it stays so. */
export function markHealthy(inst: Instance, now: number, reason: string): Instance {
  return {
    ...inst,
    state: 'healthy',
    since: iso(now),
    failingSince: null,
    notBefore: null,
    lastReason: reason,
  };
}

/**
 * The instance failed (probes, or its start): unhealthy, one more failure, and the next
 * attempt not before the backoff. A failure after a long healthy spell starts the count over.
 */
export function markFailed(
  inst: Instance,
  now: number,
  reason: string,
  policy: RestartPolicy,
  rand: number,
): Instance {
  const wasStable = inst.state === 'healthy' && now - Date.parse(inst.since) >= policy.resetAfterMs;
  const failures = (wasStable ? 0 : inst.failures) + 1;
  return {
    ...inst,
    state: 'unhealthy',
    since: inst.state === 'unhealthy' ? inst.since : iso(now),
    failures,
    failingSince: inst.failingSince ?? now,
    notBefore: now + backoffMs(policy, failures, rand),
    lastReason: reason,
  };
}

/** Its host's worker does not answer: the instance cannot be seen. */
export function markLost(inst: Instance, now: number, reason: string): Instance {
  return {
    ...inst,
    state: 'lost',
    since: inst.state === 'lost' ? inst.since : iso(now),
    failingSince: inst.failingSince ?? now,
    lastReason: reason,
  };
}

const pct = (v: number | null): string => (v === null ? '?' : `${Math.round(v)} %`);

/**
 * The best host for one more instance: eligible, up, not in maintenance, with room under the
 * spread rule; least loaded by CPU, then memory, then config order. Null with the reason when
 * there is none.
 */
export function pickHost(
  spec: ServiceSpec,
  loads: readonly HostLoad[],
  placed: readonly { host: string }[],
  exclude: readonly string[] = [],
): { host: string; why: string } | { host: null; why: string } {
  const byHost = new Map(loads.map((l) => [l.host, l]));
  const count = (h: string): number => placed.filter((p) => p.host === h).length;
  const reasons: string[] = [];
  const ok: HostLoad[] = [];
  for (const h of spec.hosts) {
    const l = byHost.get(h) ?? { host: h, up: true, maintenance: false, cpu: null, memory: null };
    if (exclude.includes(h)) reasons.push(`${h} is the one it leaves`);
    else if (!l.up) reasons.push(`${h} is down`);
    else if (l.maintenance) reasons.push(`${h} is in maintenance`);
    else if (count(h) >= spec.maxPerHost)
      reasons.push(`${h} already has ${count(h)} (at most ${spec.maxPerHost} per host)`);
    else ok.push(l);
  }
  if (!ok.length) return { host: null, why: reasons.join('; ') || 'no hosts configured' };
  const key = (v: number | null): number => (v === null ? Number.POSITIVE_INFINITY : v);
  const order = (h: string): number => spec.hosts.indexOf(h);
  ok.sort(
    (a, b) =>
      key(a.cpu) - key(b.cpu) ||
      key(a.memory) - key(b.memory) ||
      count(a.host) - count(b.host) ||
      order(a.host) - order(b.host),
  );
  const best = ok[0]!;
  const why =
    ok.length === 1
      ? `the only host available, cpu ${pct(best.cpu)}${reasons.length ? `: ${reasons.join('; ')}` : ''}`
      : `least loaded: cpu ${pct(best.cpu)}, memory ${pct(best.memory)}`;
  return { host: best.host, why };
}

/** Healthy instances against the wanted number. */
export function serviceHealth(
  instances: readonly Instance[],
  desired: number,
  paused: boolean,
): ServiceHealth {
  if (paused) return 'paused';
  const healthy = instances.filter((i) => i.state === 'healthy').length;
  if (desired > 0 && healthy === 0) return 'down';
  if (healthy < desired) return 'degraded';
  return 'healthy';
}

export interface DecideInput {
  spec: ServiceSpec;
  instances: readonly Instance[];
  /** Instances with an action in flight: nothing more is decided for them. */
  busy: ReadonlySet<string>;
  loads: readonly HostLoad[];
  /** Instances wanted (minInstances, or what `hactl service scale` set). */
  desired: number;
  /** Most instances tolerated (maxInstances; what `hactl service scale` set). */
  max?: number;
  paused: boolean;
  /** The number of the next new instance (`<service>-<n>`). */
  nextIndex: number;
  now: number;
}

export interface Decision {
  actions: Action[];
  /** The earliest time something becomes due (a backoff ending), if any. */
  wakeAt: number | null;
  /** Instances are missing and no host can take one: why. */
  unplaced: string | null;
}

/** One step of the ladder for every instance not busy, then the count. */
export function decide(d: DecideInput): Decision {
  const { spec, now } = d;
  const actions: Action[] = [];
  let wakeAt: number | null = null;
  let unplaced: string | null = null;
  const wake = (t: number): void => {
    wakeAt = wakeAt === null ? t : Math.min(wakeAt, t);
  };
  if (d.paused) return { actions, wakeAt, unplaced };
  const policy = spec.restart;
  // Where instances are (or are about to be), for the spread rule.
  const placed: { id: string; host: string }[] = d.instances
    .filter((i) => i.state !== 'stopping')
    .map((i) => ({ id: i.id, host: i.host }));
  /**
   * Moves the instance to the best other host, with the reason `why(to, pick)`; returns the
   * pick when no host can take it (the caller says what happens then).
   */
  const tryMove = (inst: Instance, why: (to: string, pickWhy: string) => string): { why: string } | null => {
    const to = pickHost(
      spec,
      d.loads,
      placed.filter((p) => p.id !== inst.id),
      [inst.host],
    );
    if (to.host === null) return to;
    const p = placed.find((x) => x.id === inst.id);
    if (p) p.host = to.host;
    actions.push({
      type: 'move',
      instance: inst.id,
      from: inst.host,
      to: to.host,
      reason: why(to.host, to.why),
    });
    return null;
  };
  const window = formatDuration(policy.windowMs);

  for (const inst of d.instances) {
    if (d.busy.has(inst.id)) continue;
    if (inst.state === 'unhealthy') {
      if (
        policy.giveUpAfterMs !== null &&
        inst.failingSince !== null &&
        now - inst.failingSince >= policy.giveUpAfterMs
      ) {
        actions.push({
          type: 'give-up',
          instance: inst.id,
          host: inst.host,
          reason: `${inst.host}: failing for ${formatDuration(now - inst.failingSince)} (giveUpAfter ${formatDuration(policy.giveUpAfterMs)}); last: ${inst.lastReason}`,
        });
        continue;
      }
      if (inst.notBefore !== null && inst.notBefore > now) {
        wake(inst.notBefore);
        continue;
      }
      const recent = recentRestarts(inst, policy, now).length;
      if (recent < policy.inPlace) {
        actions.push({
          type: 'restart',
          instance: inst.id,
          host: inst.host,
          reason: `${inst.host}: ${inst.lastReason}; restart ${recent + 1} of ${policy.inPlace} within ${window}`,
        });
        continue;
      }
      const none = tryMove(
        inst,
        (to, pick) => `${inst.host}: ${recent} restarts within ${window}, moving to ${to} (${pick})`,
      );
      if (none)
        actions.push({
          type: 'restart',
          instance: inst.id,
          host: inst.host,
          reason: `${inst.host}: ${recent} restarts within ${window} but no other host (${none.why}); restarting in place`,
        });
    } else if (
      (inst.state === 'healthy' || inst.state === 'starting') &&
      (!spec.hosts.includes(inst.host) || d.loads.some((l) => l.host === inst.host && l.maintenance))
    ) {
      // Drain: its host is in maintenance, or no longer one the service may run on.
      const why = spec.hosts.includes(inst.host) ? 'in maintenance' : "no longer one of the service's hosts";
      tryMove(inst, (to, pick) => `${inst.host} is ${why}; moving to ${to} (${pick})`);
    } else if (inst.state === 'lost') {
      const none = tryMove(inst, (to, pick) => `${inst.host}: ${inst.lastReason}; moving to ${to} (${pick})`);
      if (none && inst.notBefore !== null) wake(inst.notBefore);
    }
  }

  // The count: start what is missing, stop what is above the most allowed.
  // An instance that gave up keeps its place: starting another would fail the same way.
  const live = d.instances.filter((i) => i.state !== 'stopping');
  const max = Math.max(d.desired, d.max ?? spec.maxInstances);
  let next = d.nextIndex;
  for (let n = live.length; n < d.desired; n++) {
    const to = pickHost(spec, d.loads, placed);
    const id = `${spec.name}-${next}`;
    if (to.host === null) {
      unplaced = `${n} of ${d.desired} instances and no host can take one more: ${to.why}`;
      break;
    }
    next++;
    placed.push({ id, host: to.host });
    actions.push({
      type: 'start',
      instance: id,
      host: to.host,
      reason: `${n} of ${d.desired} instances: starting ${id} on ${to.host} (${to.why})`,
    });
  }
  if (live.length > max) {
    const rank = (i: Instance): number =>
      i.state === 'failed'
        ? 0
        : i.state === 'lost'
          ? 1
          : i.state === 'unhealthy'
            ? 2
            : i.state === 'starting'
              ? 3
              : 4;
    const loadOf = (h: string): number => d.loads.find((l) => l.host === h)?.cpu ?? 0;
    const extras = [...live]
      .filter((i) => !d.busy.has(i.id))
      .sort(
        (a, b) =>
          rank(a) - rank(b) ||
          loadOf(b.host) - loadOf(a.host) ||
          Date.parse(b.since) - Date.parse(a.since) ||
          b.id.localeCompare(a.id),
      )
      .slice(0, live.length - max);
    for (const e of extras)
      actions.push({
        type: 'stop',
        instance: e.id,
        host: e.host,
        remove: true,
        reason: `${live.length} instances, at most ${max} wanted: stopping ${e.id} on ${e.host} (${e.state})`,
      });
  }
  return { actions, wakeAt, unplaced };
}
