// Follows a running workflow for `--wait`: every second its pending activities (their latest
// heartbeat details, decoded with the client's data converter, so encrypted payloads work too)
// go to a capability's renderer, and the line it returns to stderr (see progress.ts). Results
// stay on stdout, unchanged.
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { NO_PAINT, outputMode, PAINT, ProgressPrinter } from './progress';
import type { Paint } from './progress';

export interface PendingActivity {
  type: string;
  /** scheduled: no worker has picked it up yet. */
  state: 'scheduled' | 'started' | 'cancel-requested' | 'other';
  attempt: number;
  /** The latest heartbeat's first argument, decoded; undefined before the first. */
  details: unknown;
  /** When that heartbeat reached the server (ms); null before the first. */
  heartbeatAt: number | null;
  lastFailure: string | null;
}

const STATES = temporal.api.enums.v1.PendingActivityState;

/** The pending activities of a workflow run, with their heartbeat details decoded. */
export async function pendingActivities(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<PendingActivity[]> {
  const d = await client.workflow.getHandle(workflowId, runId).describe();
  const out: PendingActivity[] = [];
  for (const a of d.raw.pendingActivities ?? []) {
    let details: unknown;
    try {
      const payloads = a.heartbeatDetails?.payloads ?? [];
      if (payloads.length)
        details = (await decodeArrayFromPayloads(client.options.loadedDataConverter, payloads))[0];
    } catch {
      details = undefined; // encrypted with keys this client does not have: no numbers, still the step
    }
    out.push({
      type: a.activityType?.name ?? '',
      state:
        a.state === STATES.PENDING_ACTIVITY_STATE_SCHEDULED
          ? 'scheduled'
          : a.state === STATES.PENDING_ACTIVITY_STATE_STARTED
            ? 'started'
            : a.state === STATES.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
              ? 'cancel-requested'
              : 'other',
      attempt: a.attempt ?? 1,
      details,
      heartbeatAt: optionalTsToMs(a.lastHeartbeatTime) ?? null,
      lastFailure: a.lastFailure?.message ?? null,
    });
  }
  return out;
}

export interface ProgressUpdate {
  line: string;
  /** What the work is doing (the step): a new key prints a plain line at once. */
  key: string;
}

export interface FollowOptions<R> {
  json?: boolean;
  /** The current line, or null to leave the last one. */
  poll: (paint: Paint) => Promise<ProgressUpdate | null>;
  /** The last line, from the result. */
  final?: (result: R, paint: Paint) => string | undefined;
  everyMs?: number;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

const settledAfter = (ms: number, done: Promise<unknown>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void done.then(
      () => (clearTimeout(t), resolve()),
      () => (clearTimeout(t), resolve()),
    );
  });

/** Waits for `result`, showing progress meanwhile on stderr; a failed poll is skipped, not fatal. */
export async function followProgress<R>(result: Promise<R>, o: FollowOptions<R>): Promise<R> {
  const stream = o.stream ?? process.stderr;
  const mode = outputMode({ isTTY: !!stream.isTTY, json: !!o.json, env: o.env ?? process.env });
  const paint = mode.colour ? PAINT : NO_PAINT;
  const printer = new ProgressPrinter((s) => stream.write(s), mode, { columns: () => stream.columns });
  let done = false;
  const settled = result.finally(() => (done = true));
  settled.catch(() => undefined);
  const loop = (async () => {
    while (!done) {
      try {
        const u = await o.poll(paint);
        if (u && !done) printer.update(u.line, u.key);
      } catch {
        /* the next poll may work; progress is advisory */
      }
      await settledAfter(o.everyMs ?? 1000, settled);
    }
  })();
  try {
    const r = await settled;
    await loop;
    printer.finish(o.final?.(r, paint));
    return r;
  } catch (err) {
    await loop;
    printer.finish();
    throw err;
  }
}
