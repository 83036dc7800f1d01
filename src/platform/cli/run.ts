// The pattern every long-running command shares: start a workflow on a host, then either say
// what was started (plain or --json) or --wait for its result and render it; a failed workflow
// becomes one line that says what went wrong, and an exit code.
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { BadInput, innermostCause, OperationFailed } from '../../core/errors';
import { listLiveHosts } from '../hosts';
import { BAD_INPUT_FAILURES, NON_RETRYABLE_FAILURES } from '../registry-api';
import { printJson, printLines } from './context';
import { followProgress } from './progress-watch';
import type { FollowOptions } from './progress-watch';

/** The innermost failure's message; a host that never picked the work up is named. */
export function failureMessage(err: unknown, host?: string): string {
  // WorkflowFailedError -> ActivityFailure -> ApplicationFailure: the innermost says what happened.
  const e = innermostCause(err);
  if (e.timeoutType === 'SCHEDULE_TO_START' && host) {
    return `no worker for host ${host} picked up the work in time; is \`hactl worker --host ${host}\` running? (see hactl hosts)`;
  }
  return e.message;
}

/** A failed workflow as the error the CLI reports: bad input (2) or failure (1). */
export function workflowError(err: unknown, what: string, host?: string): Error {
  if (!(err instanceof WorkflowFailedError)) return err as Error;
  const e = innermostCause(err);
  // A refusal that no retry changes says so: running the same command again will not help.
  const final = e.type && NON_RETRYABLE_FAILURES.includes(e.type) ? ` (${e.type}: not retried)` : '';
  const message = `${what} failed: ${failureMessage(err, host)}${final}`;
  return e.type && BAD_INPUT_FAILURES.includes(e.type) ? new BadInput(message) : new OperationFailed(message);
}

/** Host-bound work waits for that host's worker: say so up front when none is live. */
export async function warnIfHostDown(client: Client, host: string): Promise<void> {
  try {
    const { hosts } = await listLiveHosts(client);
    if (!hosts.some((h) => h.host === host)) {
      console.error(
        `warning: no live worker for host ${host} right now (hactl hosts); this waits for one to start`,
      );
    }
  } catch {
    /* liveness is advisory */
  }
}

/** Runs host-bound work; a failed workflow becomes one line that says what went wrong. */
export async function onHost<T>(
  client: Client,
  host: string,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  await warnIfHostDown(client, host);
  try {
    return await fn();
  } catch (err) {
    throw workflowError(err, what, host);
  }
}

export interface StartedWork<R> {
  handle: { workflowId: string; firstExecutionRunId: string; result(): Promise<R> };
  /** The line printed when not waiting. */
  started: string;
  /** Extra fields of the --json output when not waiting. */
  extra?: Record<string, unknown>;
}

/** How --wait shows progress on stderr meanwhile (see progress-watch.ts). */
export type WaitProgress<R> = Pick<FollowOptions<R>, 'poll' | 'final'>;

/** start -> (print what started) | (--wait -> result, with progress on stderr -> render or --json). */
export async function startAndMaybeWait<R>(
  opts: { wait?: boolean; json?: boolean },
  work: StartedWork<R>,
  what: string,
  host: string,
  render: (result: R) => string[],
  progress?: WaitProgress<R>,
): Promise<void> {
  const { handle } = work;
  if (!opts.wait) {
    if (opts.json)
      printJson({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, ...work.extra });
    else console.log(work.started);
    return;
  }
  let result: R;
  try {
    result = progress
      ? await followProgress(handle.result(), { ...progress, json: !!opts.json })
      : await handle.result();
  } catch (err) {
    throw workflowError(err, what, host);
  }
  if (opts.json) printJson(result);
  else printLines(render(result));
}
