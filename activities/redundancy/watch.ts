// The probe watch of one instance: a long-running, heartbeating activity on the instance's host
// that probes at each probe's interval and returns only when the instance's health changes (or
// after `renewAfterMs`, unchanged). A sub-second interval therefore writes no workflow history
// per probe; a dead worker shows as a missed heartbeat.
import type { ProbeSpec, WatchResult } from '../../src/redundancy/model/types';
import { countProbe, newCounter, verdict } from '../../src/core/probe';
import type { ProbeCounter } from '../../src/core/probe';
import { probeName, runProbe } from '../shared/probes';

export interface WatchInput {
  service: string;
  instance: string;
  probes: ProbeSpec[];
  /** What the controller believes now; the watch returns when the probes disagree. */
  believed: 'starting' | 'healthy' | 'unhealthy';
  /** ms since the epoch of the instance's last start (initialDelay counts from it); null: long ago. */
  startedAt: number | null;
  /** Return unchanged after this long, so that the controller can renew (and continue-as-new). */
  renewAfterMs: number;
}

export interface WatchDeps {
  host: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress for heartbeats: each probe's last outcome. */
  progress?(details: unknown): void;
  now?: () => number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Probes until the verdict differs from `believed`; null when renewAfter passed (or cancelled). */
export async function watchInstance(input: WatchInput, deps: WatchDeps): Promise<WatchResult | null> {
  const now = deps.now ?? ((): number => Date.now());
  const started = now();
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const counters: ProbeCounter[] = input.probes.map(() => newCounter(input.believed));
  const last: string[] = input.probes.map(() => 'not probed yet');
  const want = input.believed === 'healthy' ? true : input.believed === 'unhealthy' ? false : null;
  let result: WatchResult | null = null;

  const loop = async (p: ProbeSpec, i: number): Promise<void> => {
    const delay = input.startedAt === null ? 0 : Math.max(0, input.startedAt + p.initialDelayMs - now());
    await sleep(delay, stop.signal);
    while (!stop.signal.aborted) {
      const t0 = now();
      const o = await runProbe(p, { host: deps.host, env: deps.env, signal: stop.signal });
      if (stop.signal.aborted) return;
      counters[i] = countProbe(counters[i]!, o.ok, p);
      last[i] = `${probeName(p)}: ${o.detail}`;
      deps.progress?.({ instance: input.instance, probes: last, at: new Date(now()).toISOString() });
      const v = verdict(counters);
      if (v !== null && v !== want) {
        const failing = counters.map((c, j) => (c.healthy === false ? j : -1)).filter((j) => j >= 0);
        const reason = v
          ? `${input.probes.length > 1 ? 'all probes' : probeName(input.probes[0]!)} passed ${Math.max(...input.probes.map((x) => x.successThreshold))} time(s)`
          : failing
              .map(
                (j) =>
                  `${last[j]} (${counters[j]!.bad} failures in a row, threshold ${input.probes[j]!.failureThreshold})`,
              )
              .join('; ');
        result = { healthy: v, reason, at: new Date(now()).toISOString() };
        stop.abort();
        return;
      }
      await sleep(Math.max(0, p.intervalMs - (now() - t0)), stop.signal);
    }
  };
  const renew = sleep(input.renewAfterMs - (now() - started), stop.signal).then(() => stop.abort());
  try {
    await Promise.all([...input.probes.map(loop), renew]);
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  return result;
}
