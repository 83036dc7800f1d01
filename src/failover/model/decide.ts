// A failover group's decisions, pure: what the observers' votes say of each node, whether the
// primary is dead, which standby is the best target (every candidate scored, with the reason),
// and why nothing happens when nothing does. The controller workflow carries them out.
import { formatDuration } from '../../core/duration';
import type { Candidate, GroupSpec, NodeView, Observation, Role } from './types';

export function majority(observers: number): number {
  return Math.floor(observers / 2) + 1;
}

/** A node from every observer's last observation. */
export function nodeView(
  spec: GroupSpec,
  name: string,
  obs: Record<string, Observation>,
  fenced: readonly string[],
): NodeView {
  const node = spec.nodes.find((n) => n.name === name)!;
  const seen = spec.observers.map((o) => obs[o]).filter((x): x is Observation => x !== undefined);
  const healthyVotes = seen.filter((o) => o.healthy === true).length;
  const unhealthyVotes = seen.filter((o) => o.healthy === false).length;
  const need = majority(spec.observers.length);
  const health =
    unhealthyVotes >= need
      ? 'dead'
      : healthyVotes >= need
        ? 'up'
        : unhealthyVotes > 0
          ? 'disputed'
          : 'unknown';
  const roles = new Set(seen.map((o) => o.role));
  const role: Role = roles.has('primary') ? 'primary' : roles.has('standby') ? 'standby' : 'unknown';
  const lags = seen.map((o) => o.lag).filter((l): l is number => l !== null);
  return {
    name,
    host: node.host,
    role,
    health,
    healthyVotes,
    unhealthyVotes,
    lag: lags.length ? Math.max(...lags) : null,
    fenced: fenced.includes(name),
    observers: Object.fromEntries(spec.observers.filter((o) => obs[o]).map((o) => [o, obs[o]!])),
  };
}

/** "healthy by 2 of 3 observers (gamma: ECONNREFUSED)" */
export function votes(spec: GroupSpec, v: NodeView): string {
  const failing = Object.entries(v.observers)
    .filter(([, o]) => o.healthy === false)
    .map(([h, o]) => `${h}: ${o.detail}`);
  const silent = spec.observers.filter((o) => !v.observers[o]);
  const base =
    v.health === 'dead'
      ? `failing for ${v.unhealthyVotes} of ${spec.observers.length} observers`
      : `healthy for ${v.healthyVotes} of ${spec.observers.length} observers`;
  return [
    base,
    failing.length && v.health !== 'dead' ? `failing for ${failing.length}` : '',
    failing.length ? `(${failing.join('; ')})` : '',
    silent.length ? `no report from ${silent.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Every node but the one failing, scored; the eligible first, best first. */
export function candidates(
  spec: GroupSpec,
  views: readonly NodeView[],
  exclude: string,
  loads: Record<string, number | null> = {},
): Candidate[] {
  const out: Candidate[] = [];
  for (const n of spec.nodes) {
    if (n.name === exclude) continue;
    const v = views.find((x) => x.name === n.name)!;
    let why = '';
    if (n.nofailover) why = 'nofailover';
    else if (v.fenced) why = 'fenced (a former primary; failback brings it back)';
    else if (v.health !== 'up') why = `not healthy: ${votes(spec, v)}`;
    else if (v.role === 'primary') why = 'reports primary already (split brain)';
    else if (spec.maximumLag !== null && v.lag === null) why = 'lag unknown';
    else if (spec.maximumLag !== null && v.lag! > spec.maximumLag)
      why = `lag ${v.lag} > maximumLag ${spec.maximumLag}`;
    const cpu = loads[n.host] ?? null;
    const score =
      spec.select === 'priority'
        ? n.priority
        : spec.select === 'least-lag'
          ? -(v.lag ?? Number.POSITIVE_INFINITY)
          : -(cpu ?? Number.POSITIVE_INFINITY);
    const detail =
      spec.select === 'priority'
        ? `priority ${n.priority}`
        : spec.select === 'least-lag'
          ? `lag ${v.lag ?? '?'}`
          : `cpu ${cpu === null ? '?' : `${Math.round(cpu)} %`}`;
    out.push({ node: n.name, eligible: why === '', score, why: why || detail });
  }
  const prio = (c: Candidate): number => spec.nodes.find((n) => n.name === c.node)!.priority;
  return out.sort(
    (a, b) =>
      Number(b.eligible) - Number(a.eligible) ||
      b.score - a.score ||
      prio(b) - prio(a) ||
      a.node.localeCompare(b.node),
  );
}

export type Decision =
  | { type: 'steady'; explain: string }
  | { type: 'discover'; primary: string; explain: string }
  | { type: 'disputed'; explain: string }
  | { type: 'split-brain'; rogue: string[]; explain: string }
  | { type: 'blocked'; why: 'paused' | 'manual' | 'cooldown' | 'max-failovers'; explain: string }
  | { type: 'no-target'; from: string; candidates: Candidate[]; explain: string }
  | { type: 'failover'; from: string; to: string; candidates: Candidate[]; explain: string };

export interface AssessInput {
  spec: GroupSpec;
  views: readonly NodeView[];
  primary: string | null;
  paused: boolean;
  /** Times of the automatic failovers so far (for cooldown and maxFailovers). */
  failovers: readonly number[];
  loads?: Record<string, number | null>;
  now: number;
}

const list = (c: Candidate[]): string =>
  c.map((x) => `${x.node} ${x.eligible ? `eligible, ${x.why}` : x.why}`).join('; ');

export function assess(d: AssessInput): Decision {
  const { spec, views, now } = d;
  const claims = views.filter((v) => v.role === 'primary' && v.health !== 'dead').map((v) => v.name);
  if (d.primary === null) {
    if (claims.length === 1)
      return {
        type: 'discover',
        primary: claims[0]!,
        explain: `${claims[0]} reports primary; it is the primary now`,
      };
    if (claims.length > 1)
      return {
        type: 'split-brain',
        rogue: claims,
        explain: `no primary recorded and ${claims.join(', ')} all report primary: nothing is promoted or fenced until a person decides`,
      };
    return { type: 'steady', explain: 'no primary recorded and no node reports primary yet' };
  }
  const rogue = claims.filter((n) => n !== d.primary);
  if (rogue.length)
    return {
      type: 'split-brain',
      rogue,
      explain: `${rogue.join(', ')} report${rogue.length === 1 ? 's' : ''} primary while ${d.primary} is the primary`,
    };
  const p = views.find((v) => v.name === d.primary)!;
  if (p.health === 'disputed')
    return {
      type: 'disputed',
      explain: `no failover: primary ${p.name} is ${votes(spec, p)}; ${majority(spec.observers.length)} of ${spec.observers.length} observers must agree it is dead`,
    };
  if (p.health !== 'dead')
    return {
      type: 'steady',
      explain: `no failover: primary ${p.name} is ${votes(spec, p)}${p.health === 'unknown' ? ' (no verdict yet)' : ''}`,
    };
  const dead = `primary ${p.name} is ${votes(spec, p)}`;
  if (d.paused)
    return { type: 'blocked', why: 'paused', explain: `${dead}; the group is paused: no failover` };
  if (spec.mode === 'manual')
    return {
      type: 'blocked',
      why: 'manual',
      explain: `${dead}; mode is manual: run hactl failover failover ${spec.name} --to NODE --force`,
    };
  const last = d.failovers.length ? Math.max(...d.failovers) : null;
  if (last !== null && now - last < spec.cooldownMs)
    return {
      type: 'blocked',
      why: 'cooldown',
      explain: `${dead}; the last failover was ${formatDuration(now - last)} ago, within the cooldown of ${formatDuration(spec.cooldownMs)}`,
    };
  const recent = d.failovers.filter((t) => now - t < spec.maxFailovers.windowMs).length;
  if (recent >= spec.maxFailovers.count)
    return {
      type: 'blocked',
      why: 'max-failovers',
      explain: `${dead}; ${recent} failovers within ${formatDuration(spec.maxFailovers.windowMs)} already (maxFailovers ${spec.maxFailovers.count}): the group pauses`,
    };
  const c = candidates(spec, views, p.name, d.loads);
  const best = c.find((x) => x.eligible);
  if (!best)
    return {
      type: 'no-target',
      from: p.name,
      candidates: c,
      explain: `${dead}; no node can take over: ${list(c)}`,
    };
  return {
    type: 'failover',
    from: p.name,
    to: best.node,
    candidates: c,
    explain: `${dead}; promoting ${best.node} (${best.why}); candidates: ${list(c)}`,
  };
}

/** The role a role probe's output says: primary/standby, or PostgreSQL's pg_is_in_recovery(). */
export function parseRole(output: string): Role {
  const t = output.trim().toLowerCase();
  if (t === 'primary' || t === 'master' || t === 'f' || t === 'false') return 'primary';
  if (t === 'standby' || t === 'replica' || t === 't' || t === 'true') return 'standby';
  return 'unknown';
}
