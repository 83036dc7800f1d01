// A failover group's actions on a host: fence, promote (idempotent: a node that already says
// primary is not promoted again), demote, repoint; and the verification that the promoted node
// says primary within its timeout.
import { ApplicationFailure } from '@temporalio/common';
import type { CommandSpec } from '../../src/core/command';
import type { ProbeSpec } from '../../src/core/probe';
import { FAILOVER_FAILURES } from '../../src/failover/model/failures';
import type { ActionSpec, HttpAction } from '../../src/failover/model/types';
import { resolveRefs, runCommand, showArgv } from '../shared/command';
import { probeRole } from './observe';

export interface ActDeps {
  host: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Makes one HTTP call; anything but the expected status (any 2xx by default) is a failure. */
async function callHttp(what: string, h: HttpAction, deps: ActDeps): Promise<{ detail: string; ms: number }> {
  const t0 = Date.now();
  const url = resolveRefs(h.url, deps.env, deps.host, `${what} url`);
  const body = h.body === null ? undefined : resolveRefs(h.body, deps.env, deps.host, `${what} body`);
  let status: number;
  let text = '';
  try {
    const signals = [AbortSignal.timeout(h.timeoutMs), ...(deps.signal ? [deps.signal] : [])];
    const r = await fetch(url, { method: h.method, body, signal: AbortSignal.any(signals) });
    status = r.status;
    text = (await r.text()).slice(0, 300);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `${what} on ${deps.host}: ${h.method} ${h.url} failed: ${(err as Error).message}`,
      FAILOVER_FAILURES.actionFailed,
    );
  }
  const ok = h.expectStatus.length ? h.expectStatus.includes(status) : status >= 200 && status < 300;
  if (!ok)
    throw ApplicationFailure.nonRetryable(
      `${what} on ${deps.host}: ${h.method} ${h.url} answered ${status}${text ? `: ${text}` : ''}`,
      FAILOVER_FAILURES.actionFailed,
    );
  return { detail: `${h.method} ${h.url}: ${status}`, ms: Date.now() - t0 };
}

/** Runs one action (a command or an HTTP call); a failure says what it printed or answered. */
export async function runAction(
  what: string,
  a: ActionSpec,
  deps: ActDeps,
): Promise<{ detail: string; ms: number }> {
  return a.command ? runCommandAction(what, a.command, deps) : callHttp(what, a.http, deps);
}

async function runCommandAction(
  what: string,
  cmd: CommandSpec,
  deps: ActDeps,
): Promise<{ detail: string; ms: number }> {
  const t0 = Date.now();
  const o = await runCommand(cmd, { host: deps.host, where: what, env: deps.env, signal: deps.signal });
  if (o.exitCode === 0) return { detail: `\`${showArgv(cmd)}\` exit 0`, ms: Date.now() - t0 };
  const how = o.timedOut
    ? `timed out after ${cmd.timeoutMs / 1000}s`
    : o.exitCode !== null
      ? `exited with status ${o.exitCode}`
      : `was killed by ${o.signal}`;
  const err = o.stderrTail.trim().split('\n').slice(-3).join(' | ');
  throw ApplicationFailure.nonRetryable(
    `${what} on ${deps.host}: \`${showArgv(cmd)}\` ${how}${err ? `: ${err}` : ''}`,
    FAILOVER_FAILURES.actionFailed,
  );
}

/** Promotes unless the node already says primary (a retried or replayed promotion). */
export async function promote(
  role: ProbeSpec,
  action: ActionSpec | null,
  deps: ActDeps,
): Promise<{ detail: string; ms: number }> {
  const t0 = Date.now();
  if ((await probeRole(role, deps)) === 'primary')
    return { detail: 'already primary: not promoted again', ms: Date.now() - t0 };
  if (!action)
    throw ApplicationFailure.nonRetryable(
      'no promote action is configured and the node does not say primary',
      FAILOVER_FAILURES.actionFailed,
    );
  return runAction('promote', action, deps);
}

/** Waits until the node says primary; fails after the timeout with what it said last. */
export async function verifyPrimary(
  role: ProbeSpec,
  timeoutMs: number,
  deps: ActDeps,
): Promise<{ ms: number }> {
  const t0 = Date.now();
  let last = 'unknown';
  while (Date.now() - t0 < timeoutMs) {
    if (deps.signal?.aborted) break;
    last = await probeRole(role, deps);
    if (last === 'primary') return { ms: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw ApplicationFailure.nonRetryable(
    `the promoted node did not say primary within ${timeoutMs / 1000}s (it said ${last})`,
    FAILOVER_FAILURES.verifyFailed,
  );
}
