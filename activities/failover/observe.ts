// What an observer sees of one node: its health probes (Kubernetes' thresholds), its role probe
// and its replication lag, probed every interval by one long-running, heartbeating activity on
// the observer's host that returns only when what it reports would change.
import * as http from 'node:http';
import * as https from 'node:https';
import { countProbe, newCounter, verdict } from '../../src/core/probe';
import type { ProbeCounter, ProbeSpec } from '../../src/core/probe';
import type { CommandSpec } from '../../src/core/command';
import { parseRole } from '../../src/failover/model/decide';
import type { Observation, Role } from '../../src/failover/model/types';
import { resolveRefs, runCommand } from '../shared/command';
import { probeName, runProbe } from '../shared/probes';

export interface ObserveInput {
  group: string;
  node: string;
  health: ProbeSpec[];
  role: ProbeSpec;
  lag: CommandSpec | null;
  maximumLag: number | null;
  /** What the controller last heard from this observer of this node (null: nothing yet). */
  last: Observation | null;
  renewAfterMs: number;
}

export interface ObserveDeps {
  host: string;
  /** The worker's environment plus the node's variables. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  progress?: (details: unknown) => void;
}

const MAX_BODY = 4096;

function httpText(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(v);
    };
    // Removed again when the probe ends: an observer probes for as long as its signal lives.
    const onAbort = (): void => finish(null);
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < MAX_BODY) body += c;
      });
      res.on('end', () => finish((res.statusCode ?? 0) < 400 ? body : null));
      res.on('error', () => finish(null));
    });
    req.on('error', () => finish(null));
    const timer = setTimeout(() => finish(null), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The node's role by its role probe: a command's stdout or an HTTP body. */
export async function probeRole(p: ProbeSpec, deps: ObserveDeps): Promise<Role> {
  if (p.type === 'http') {
    const body = await httpText(
      resolveRefs(p.url, deps.env, deps.host, 'role probe url'),
      p.timeoutMs,
      deps.signal,
    );
    return body === null ? 'unknown' : parseRole(body);
  }
  if (p.type === 'command') {
    const cmd = { ...p.command, timeoutMs: Math.min(p.command.timeoutMs, p.timeoutMs) };
    const o = await runCommand(cmd, {
      host: deps.host,
      where: 'role probe',
      env: deps.env,
      signal: deps.signal,
    });
    return o.exitCode === 0 ? parseRole(o.stdoutTail) : 'unknown';
  }
  return 'unknown';
}

async function probeLag(cmd: CommandSpec, deps: ObserveDeps): Promise<number | null> {
  const o = await runCommand(cmd, {
    host: deps.host,
    where: 'lag probe',
    env: deps.env,
    signal: deps.signal,
  });
  const n = Number(o.stdoutTail.trim());
  return o.exitCode === 0 && o.stdoutTail.trim() !== '' && Number.isFinite(n) ? n : null;
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

const lagBucket = (lag: number | null, max: number | null): string =>
  max === null ? 'any' : lag === null ? 'unknown' : lag > max ? 'over' : 'ok';

/**
 * Probes until the observation differs from `last` in health, role or lag against maximumLag;
 * null when renewAfter passed (or the activity was cancelled).
 */
export async function observeNode(input: ObserveInput, deps: ObserveDeps): Promise<Observation | null> {
  const started = Date.now();
  const believed =
    input.last?.healthy === true ? 'healthy' : input.last?.healthy === false ? 'unhealthy' : 'starting';
  const counters: ProbeCounter[] = input.health.map(() => newCounter(believed));
  const interval = Math.min(...input.health.map((p) => p.intervalMs), input.role.intervalMs);
  const failing: string[] = input.health.map(() => '');
  for (;;) {
    if (deps.signal?.aborted) return null;
    const t0 = Date.now();
    const [outcomes, role, lag] = await Promise.all([
      Promise.all(
        input.health.map((p) => runProbe(p, { host: deps.host, env: deps.env, signal: deps.signal })),
      ),
      probeRole(input.role, deps),
      input.lag ? probeLag(input.lag, deps) : Promise.resolve(null),
    ]);
    if (deps.signal?.aborted) return null;
    outcomes.forEach((o, i) => {
      counters[i] = countProbe(counters[i]!, o.ok, input.health[i]!);
      failing[i] = o.ok ? '' : `${probeName(input.health[i]!)}: ${o.detail}`;
    });
    const healthy = verdict(counters);
    const detail = failing.filter(Boolean).join('; ') || 'probes passed';
    const now: Observation = { healthy, role, lag, detail, at: new Date().toISOString() };
    deps.progress?.({ node: input.node, healthy, role, lag, detail });
    const last = input.last;
    const changed =
      last === null
        ? healthy !== null
        : healthy !== null && healthy !== last.healthy
          ? true
          : role !== last.role || lagBucket(lag, input.maximumLag) !== lagBucket(last.lag, input.maximumLag);
    if (changed) return now;
    if (Date.now() - started >= input.renewAfterMs) return null;
    await sleep(Math.max(0, interval - (Date.now() - t0)), deps.signal);
  }
}
