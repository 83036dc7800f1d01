// Heartbeats, cancellation and attempt numbers for long activities of every capability. Each
// helper also works outside an activity (unit tests, benchmarks), where it does nothing.
import { Context } from '@temporalio/activity';

/** Latest progress of each running activity (several run at once on one worker). */
const lastDetails = new WeakMap<Context, unknown>();

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Records progress and heartbeats it; the periodic heartbeat below repeats the latest. */
export function heartbeat(details: unknown): void {
  const ctx = current();
  if (!ctx) return;
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/** Records progress for the next periodic heartbeat, sending nothing now (long watches). */
export function noteProgress(details: unknown): void {
  const ctx = current();
  if (ctx) lastDetails.set(ctx, details);
}

/**
 * Heartbeats every 2s (or `everyMs`) whatever the work is doing (a 30-minute pg_dump prints no progress), so
 * that only a dead worker misses the heartbeat timeout — and so that a cancel, or the news
 * that the run has ended, reaches the activity within seconds.
 */
export async function withHeartbeats<T>(fn: () => Promise<T>, everyMs = 2000): Promise<T> {
  const ctx = current();
  if (!ctx) return fn();
  const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** Aborted when the activity is cancelled, or its run is gone. */
export function cancellationSignal(): AbortSignal | undefined {
  return current()?.cancellationSignal;
}

/** This attempt's number (1 outside an activity). */
export function currentAttempt(): number {
  return current()?.info.attempt ?? 1;
}

/** A line in the worker's log, with the activity's context. */
export function activityLog(line: string): void {
  current()?.log.info(line);
}
