// Validation of what people ask a failover group (switchover, forced failover, pause): the same
// JSON comes from hactl (updates, refused with this reason) and from `temporal workflow signal`.
import type { GroupSpec, NodeView } from './types';

export interface SwitchoverRequest {
  to: string;
  /** ISO time to do it at; none: now. */
  at?: string;
  by: string;
}

export interface ForceRequest {
  to: string;
  by: string;
}

export interface PauseRequest {
  paused: boolean;
  by: string;
  reason?: string;
}

const str = (v: unknown): v is string => typeof v === 'string';

function known(spec: GroupSpec, to: unknown): string | null {
  if (!str(to)) return 'to (the node) must be a string';
  if (!spec.nodes.some((n) => n.name === to))
    return `no node "${to}" in group ${spec.name} (nodes: ${spec.nodes.map((n) => n.name).join(', ')})`;
  return null;
}

export function checkSwitchover(
  r: SwitchoverRequest,
  spec: GroupSpec,
  views: readonly NodeView[],
  primary: string | null,
  now: number,
): string | null {
  if (!r || typeof r !== 'object') return 'a switchover request is { to, at?, by }';
  if (!str(r.by)) return 'by (who asks) must be a string';
  const bad = known(spec, r.to);
  if (bad) return bad;
  if (r.to === primary) return `${r.to} is the primary already`;
  if (primary === null) return 'there is no primary to switch over from (use a forced failover)';
  const node = spec.nodes.find((n) => n.name === r.to)!;
  if (node.nofailover) return `${r.to} is marked nofailover`;
  const v = views.find((x) => x.name === r.to);
  if (!v || v.health !== 'up')
    return `${r.to} is not healthy (${v ? `${v.healthyVotes} of ${spec.observers.length} observers see it healthy` : 'no report'}): a switchover needs a healthy standby`;
  if (v.role !== 'standby') return `${r.to} does not report standby (it reports ${v.role})`;
  if (r.at !== undefined) {
    if (!str(r.at) || Number.isNaN(Date.parse(r.at)))
      return `at must be an ISO time, got ${JSON.stringify(r.at)}`;
    if (Date.parse(r.at) < now - 60_000) return `at ${r.at} is in the past`;
  }
  return null;
}

export function checkForce(r: ForceRequest, spec: GroupSpec, primary: string | null): string | null {
  if (!r || typeof r !== 'object') return 'a failover request is { to, by }';
  if (!str(r.by)) return 'by (who asks) must be a string';
  const bad = known(spec, r.to);
  if (bad) return bad;
  if (r.to === primary) return `${r.to} is the primary already`;
  return null;
}

export function checkPause(r: PauseRequest): string | null {
  if (!r || typeof r !== 'object' || typeof r.paused !== 'boolean')
    return 'a pause request is { paused: true|false, by }';
  if (!str(r.by)) return 'by (who asks) must be a string';
  return null;
}
