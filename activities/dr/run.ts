// A DR step's command or HTTP check: what it printed is kept (the tail goes into the report),
// a failure says why and carries the output, and a cancelled step kills its process group.
import { ApplicationFailure } from '@temporalio/common';
import type { CommandSpec } from '../../src/core/command';
import { innermostCause } from '../../src/core/errors';
import { DR_FAILURES } from '../../src/dr/model/failures';
import type { HttpCheck } from '../../src/dr/model/types';
import { resolveRefs, runCommand, showArgv } from '../shared/command';

export interface StepOutcome {
  /** One line: what the step did. */
  detail: string;
  /** Tail of what it printed. */
  output?: string;
  /** A restore's backup time (ISO): RPO achieved is measured from it. */
  backupAt?: string;
}

const OUTPUT_TAIL = 2000;

/** A check that said no: retrying (the step's retries) may help. `output` goes into the report. */
export function stepFailed(message: string, output?: string): ApplicationFailure {
  return ApplicationFailure.retryable(
    message,
    DR_FAILURES.stepFailed,
    ...(output !== undefined ? [output] : []),
  );
}

/** A step that cannot work as configured: no retry. */
export function stepInvalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, DR_FAILURES.stepInvalid);
}

export async function runStepCommand(
  cmd: CommandSpec,
  where: string,
  opts: { host: string; env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<StepOutcome> {
  const o = await runCommand(cmd, { host: opts.host, where, env: opts.env, signal: opts.signal });
  const output = `${o.stdoutTail}${o.stderrTail ? `${o.stdoutTail ? '\n' : ''}${o.stderrTail}` : ''}`.slice(
    -OUTPUT_TAIL,
  );
  if (o.exitCode === 0)
    return {
      detail: `\`${showArgv(cmd)}\` on ${opts.host}: exit 0 in ${(o.durationMs / 1000).toFixed(1)}s`,
      output,
    };
  if (opts.signal?.aborted) throw ApplicationFailure.nonRetryable(`${where}: stopped`, 'Cancelled');
  const how = o.timedOut
    ? `timed out after ${cmd.timeoutMs / 1000}s and was killed`
    : o.exitCode !== null
      ? `exited with status ${o.exitCode}`
      : `was killed by ${o.signal}`;
  const last = o.stderrTail.trim().split('\n').slice(-2).join(' | ');
  throw stepFailed(`\`${showArgv(cmd)}\` on ${opts.host} ${how}${last ? `: ${last}` : ''}`, output);
}

export async function checkHttp(
  h: HttpCheck,
  where: string,
  host: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const url = resolveRefs(h.url, env, host, `${where} url`);
  const body = h.body === null ? undefined : resolveRefs(h.body, env, host, `${where} body`);
  let status: number;
  let text: string;
  try {
    const signals = [AbortSignal.timeout(h.timeoutMs), ...(signal ? [signal] : [])];
    const r = await fetch(url, { method: h.method, body, signal: AbortSignal.any(signals) });
    status = r.status;
    text = await r.text();
  } catch (err) {
    throw stepFailed(`${h.method} ${h.url} failed: ${(err as Error).message}`);
  }
  const ok = h.expectStatus.length ? h.expectStatus.includes(status) : status >= 200 && status < 300;
  const tail = text.slice(0, OUTPUT_TAIL);
  if (!ok) throw stepFailed(`${h.method} ${h.url} answered ${status}`, tail);
  if (h.expectBody !== null && !text.includes(h.expectBody))
    throw stepFailed(`${h.method} ${h.url} answered ${status} without "${h.expectBody}" in the body`, tail);
  return {
    detail: `${h.method} ${h.url}: ${status}${h.expectBody !== null ? `, body has "${h.expectBody}"` : ''}`,
    output: tail,
  };
}

/** The innermost message of an error chain (a workflow failure's cause, say). */
export const message = (err: unknown): string => innermostCause(err).message;

/** Resolves when `signal` aborts (never, without one). */
export function aborted(signal?: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve('aborted');
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}
