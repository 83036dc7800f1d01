// Types of the failover capability: plain JSON, shared by the config, the group controller, the
// host activities and the CLI. Pure.
import type { CommandSpec } from '../../core/command';
import type { ProbeSpec } from '../../core/probe';

export type Role = 'primary' | 'standby' | 'unknown';

export interface NodeSpec {
  name: string;
  /** The host whose worker runs this node's actions (promote, demote; fence by default). */
  host: string;
  /** Higher wins with `select: priority`. */
  priority: number;
  /** Never promoted. */
  nofailover: boolean;
  /** Values for ${...} in this node's probes and actions (its port, its data directory). */
  env: Record<string, string>;
}

/** An HTTP call (a fencing API, a DNS or load-balancer API); any 2xx unless `expectStatus`. */
export interface HttpAction {
  /** May hold ${...} references, resolved on the host that makes the call. */
  url: string;
  method: string;
  timeoutMs: number;
  expectStatus: number[];
  /** Sent as is, after ${...} is resolved; none: an empty body. */
  body: string | null;
}

/**
 * An action on a host — a command, or an HTTP call made from there: the node's own host unless
 * `host` names another (a fencing device reached from elsewhere).
 */
export type ActionSpec = { host: string | null } & (
  { command: CommandSpec; http?: undefined } | { http: HttpAction; command?: undefined }
);

/** How long an action may take. */
export function actionTimeoutMs(a: ActionSpec): number {
  return a.command ? a.command.timeoutMs : a.http.timeoutMs;
}

export interface GroupSpec {
  name: string;
  nodes: NodeSpec[];
  /** The primary at first apply; null: the role probe finds it. */
  initialPrimary: string | null;
  /** Hosts whose workers probe every node; a node is dead when a majority of them agree. */
  observers: string[];
  /** Health probes of each node's service (run by every observer). */
  health: ProbeSpec[];
  /** Says primary or standby: its output (a command's stdout, an HTTP body), trimmed. */
  role: ProbeSpec;
  /** Optional: prints the node's replication lag (a number, in the unit of maximumLag). */
  lag: CommandSpec | null;
  maximumLag: number | null;
  actions: {
    fence: ActionSpec[];
    promote: ActionSpec | null;
    demote: ActionSpec | null;
    repoint: ActionSpec[];
  };
  mode: 'automatic' | 'manual';
  select: 'priority' | 'least-lag' | 'least-loaded';
  cooldownMs: number;
  maxFailovers: { count: number; windowMs: number };
  /** null: manual; else a fenced old primary healthy as a standby this long is switched back to. */
  failbackAfterMs: number | null;
  allowUnfencedPromotion: boolean;
  /** How long the promoted node has to say `primary`. */
  verifyTimeoutMs: number;
}

/** What one observer last saw of one node. */
export interface Observation {
  healthy: boolean | null;
  role: Role;
  lag: number | null;
  /** The failing probe's message, or the passing probes'. */
  detail: string;
  at: string;
}

/** A node as the controller sees it, from every observer. */
export interface NodeView {
  name: string;
  host: string;
  role: Role;
  /** up: a majority of observers see it healthy; dead: a majority see it failing. */
  health: 'up' | 'dead' | 'disputed' | 'unknown';
  healthyVotes: number;
  unhealthyVotes: number;
  lag: number | null;
  fenced: boolean;
  observers: Record<string, Observation>;
}

export interface Candidate {
  node: string;
  eligible: boolean;
  score: number;
  why: string;
}

/** One failover, switchover or refusal, with its phases' timings. */
export interface FailoverEvent {
  at: string;
  kind:
    | 'failover'
    | 'switchover'
    | 'forced'
    | 'fence-failed'
    | 'no-target'
    | 'disputed'
    | 'blocked'
    | 'split-brain'
    | 'verify-failed'
    | 'paused'
    | 'resumed'
    | 'discovered';
  from: string | null;
  to: string | null;
  /** Milliseconds per phase: detect, fence, select, promote, verify, repoint, total. */
  timings: Record<string, number>;
  candidates: Candidate[];
  reason: string;
  by: string | null;
}

export interface GroupView {
  group: string;
  state: 'healthy' | 'failing-over' | 'paused' | 'split-brain' | 'waiting' | 'no-primary';
  primary: string | null;
  mode: GroupSpec['mode'];
  paused: boolean;
  nodes: NodeView[];
  lastEvent: FailoverEvent | null;
  /** Why the last decision was made, or why no failover happens now. */
  explain: string;
  pendingSwitchover: { to: string; at: string; by: string } | null;
  /**
   * Changes of primary since the group's controller started, by kind (absent from controllers
   * of older releases until they run again).
   */
  primaryChanges?: PrimaryChanges;
  /** The latest change of primary (failover, switchover or forced), with its timings. */
  lastPrimaryChange?: FailoverEvent | null;
}

/** What changed the primary: an automatic failover, a planned switchover, a forced failover. */
export const PRIMARY_CHANGE_KINDS = ['failover', 'switchover', 'forced'] as const;
export type PrimaryChanges = Record<(typeof PRIMARY_CHANGE_KINDS)[number], number>;

/** True for an event that moved the primary to another node. */
export function changedPrimary(e: FailoverEvent): boolean {
  return (PRIMARY_CHANGE_KINDS as readonly string[]).includes(e.kind) && e.to !== null;
}

/** The changes of primary in a history, by kind. */
export function countPrimaryChanges(history: readonly FailoverEvent[]): PrimaryChanges {
  const out: PrimaryChanges = { failover: 0, switchover: 0, forced: 0 };
  for (const e of history) if (changedPrimary(e)) out[e.kind as keyof PrimaryChanges]++;
  return out;
}
