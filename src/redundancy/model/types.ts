// Types of the redundancy capability: plain JSON, shared by the config, the controller workflow,
// the host activities and the CLI. Pure.
import type { CommandSpec } from '../../core/command';
import type { ProbeSpec, ProbeTiming } from '../../core/probe';
import type { HostLoad } from '../../health/model/types';

export type { ProbeSpec, ProbeTiming };

export interface RestartPolicy {
  /** Restarts in place allowed within `windowMs` before the instance moves to another host. */
  inPlace: number;
  windowMs: number;
  /** Backoff between consecutive failed attempts: initial × factor^(n-1), capped, ±jitter. */
  backoff: { initialMs: number; maxMs: number; factor: number; jitter: number };
  /** Stop trying after failing this long without a healthy moment; null: never give up. */
  giveUpAfterMs: number | null;
  /** Healthy this long and the backoff starts again from the beginning. */
  resetAfterMs: number;
}

/** What the controller needs of one service: the config, normalised. */
export interface ServiceSpec {
  name: string;
  /** Hosts it may run on, in config order (a label selector is resolved at apply). */
  hosts: string[];
  minInstances: number;
  maxInstances: number;
  /** Instances one host may hold (1 = spread over hosts). */
  maxPerHost: number;
  start: CommandSpec;
  stop: CommandSpec;
  /** Exit 0 = running. Null: the probes decide whether a start is needed. */
  status: CommandSpec | null;
  probes: ProbeSpec[];
  restart: RestartPolicy;
}

/** One instance's life, as the controller sees it. */
export type InstanceState =
  | 'starting' // a start is running, or the probes have not passed since it
  | 'healthy'
  | 'unhealthy' // probes failing; a restart or move is due (perhaps after backoff)
  | 'lost' // the worker of its host does not answer: the instance cannot be seen
  | 'stopping'
  | 'failed'; // gave up (giveUpAfter)

export interface Instance {
  /** Stable: `<service>-<n>`; kept when it moves to another host. */
  id: string;
  host: string;
  state: InstanceState;
  /** ISO time of the last state change. */
  since: string;
  /** Restarts in place on this host (ms timestamps), within the restart window. */
  restarts: number[];
  /** Restarts in place over the instance's life (shown by hactl services). */
  restartsTotal: number;
  /** Consecutive failed attempts (start failed, or unhealthy again): the backoff step. */
  failures: number;
  /** When it last stopped being healthy (for giveUpAfter); null while healthy. */
  failingSince: number | null;
  /** No action before this time (backoff). */
  notBefore: number | null;
  /** Each start gets a new generation: the host journal keys idempotent starts on it. */
  generation: number;
  lastReason: string;
}

export type { HostLoad };

/** One decision, with the reason it is recorded under. */
export type Action =
  | { type: 'start'; instance: string; host: string; reason: string }
  | { type: 'restart'; instance: string; host: string; reason: string }
  | { type: 'move'; instance: string; from: string; to: string; reason: string }
  | { type: 'stop'; instance: string; host: string; reason: string; remove: boolean }
  | { type: 'give-up'; instance: string; host: string; reason: string };

export type ServiceHealth = 'healthy' | 'degraded' | 'down' | 'paused';

/** A recorded decision or event, for `hactl service history`. */
export interface HistoryEntry {
  at: string;
  instance: string | null;
  host: string | null;
  /** start, restart, move, stop, give-up, healthy, unhealthy, lost, paused, resumed, scaled, ... */
  what: string;
  reason: string;
}

/** What a probe watch on a host reports: the instance's health changed (or could not be seen). */
export interface WatchResult {
  healthy: boolean;
  /** Why: the last probe's error, or "3 probes passed". */
  reason: string;
  at: string;
}

/** The controller's state in its query (and what hactl services prints). */
export interface ServiceView {
  service: string;
  health: ServiceHealth;
  paused: boolean;
  desired: number;
  /** Set by `hactl service scale`; null: the config's minInstances. */
  scaledTo: number | null;
  minInstances: number;
  maxInstances: number;
  healthy: number;
  instances: Instance[];
  /** Hosts where an instance was left behind (its worker was away) and must be stopped. */
  orphans: Array<{ instance: string; host: string; since: string }>;
  lastReason: string;
}
