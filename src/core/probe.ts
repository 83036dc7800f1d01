// Probes of a service as every capability configures them (services, failover groups), with
// Kubernetes' meanings, and their thresholds, pure: a probe's verdict flips to unhealthy after
// `failureThreshold` consecutive failures and back to healthy after `successThreshold`
// consecutive successes. Something is healthy when every probe says so, unhealthy when any does.
import type { CommandSpec } from './command';

/** Kubernetes' probe timing, with its defaults (period 10s, timeout 1s, failure threshold 3). */
export interface ProbeTiming {
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before something healthy counts as unhealthy. */
  failureThreshold: number;
  /** Consecutive successes before something unhealthy (or starting) counts as healthy. */
  successThreshold: number;
  /** Time after a start before the first probe. */
  initialDelayMs: number;
}

export type ProbeSpec =
  | ({
      type: 'http';
      /** May hold ${ENV} references, resolved on the host. */
      url: string;
      /** Accepted status codes; empty = any 2xx or 3xx (Kubernetes' rule). */
      expectStatus: number[];
      bodyContains: string | null;
    } & ProbeTiming)
  | ({ type: 'tcp'; /** host:port, may hold ${ENV} references. */ address: string } & ProbeTiming)
  | ({ type: 'command'; command: CommandSpec } & ProbeTiming);

/** Describes a probe for messages, without resolving secrets. */
export function probeName(p: ProbeSpec): string {
  return p.type === 'http'
    ? `http ${p.url}`
    : p.type === 'tcp'
      ? `tcp ${p.address}`
      : `command ${p.command.argv[0]}`;
}

export interface ProbeCounter {
  /** null: not decided yet (an instance that is starting). */
  healthy: boolean | null;
  ok: number;
  bad: number;
}

export function newCounter(believed: 'starting' | 'healthy' | 'unhealthy'): ProbeCounter {
  return { healthy: believed === 'starting' ? null : believed === 'healthy', ok: 0, bad: 0 };
}

export function countProbe(
  c: ProbeCounter,
  ok: boolean,
  t: Pick<ProbeTiming, 'failureThreshold' | 'successThreshold'>,
): ProbeCounter {
  const next = ok ? { ...c, ok: c.ok + 1, bad: 0 } : { ...c, ok: 0, bad: c.bad + 1 };
  if (next.healthy !== true && next.ok >= t.successThreshold) next.healthy = true;
  if (next.healthy !== false && next.bad >= t.failureThreshold) next.healthy = false;
  return next;
}

/** The instance's verdict from its probes' counters; null while undecided. */
export function verdict(counters: readonly ProbeCounter[]): boolean | null {
  if (counters.some((c) => c.healthy === false)) return false;
  if (counters.length && counters.every((c) => c.healthy === true)) return true;
  return null;
}

/**
 * How often a long-running probe watch (a failover observer's, a service instance's) heartbeats,
 * and after how long without one its watcher counts as gone. Every heartbeat is a write on the
 * server: at 2 s, the 170 watches of a 50-host fleet were half a core of the server's time while
 * nothing happened. A watch still reports every change at once (it returns); only a watcher
 * host that dies unseen takes up to the timeout to lose its vote.
 */
export const WATCH_HEARTBEAT_MS = 10_000;
export const WATCH_HEARTBEAT_TIMEOUT_MS = 3 * WATCH_HEARTBEAT_MS;
