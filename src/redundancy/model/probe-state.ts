// Kubernetes' probe thresholds, pure: a probe's verdict flips to unhealthy after
// `failureThreshold` consecutive failures and back to healthy after `successThreshold`
// consecutive successes. An instance is healthy when every probe says so, unhealthy when any does.
import type { ProbeTiming } from './types';

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
