// Runs workflows against the suite's Temporal server with mocked activities: an in-process
// Worker on the shared queue with the suite's workflow bundle, and one on a made-up host's
// queue with the mocks. Timers, retries, compensation and continue-as-new run for real.
import { isDeepStrictEqual } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { hostTaskQueue, MEMO, SHARED_TASK_QUEUE } from '../../src/core/names';
import { readState } from '../setup/shared';
import type { TestEnv } from '../helpers';
import { waitFor } from '../helpers';

export interface MockHost {
  host: string;
  activities: object;
}

let quiet = false;

/** Runs `fn` while workers with these mocked host activities poll; stops them afterwards. */
export async function withMockedActivities<T>(
  env: TestEnv,
  hosts: MockHost[],
  fn: (client: Client) => Promise<T>,
  /** Mocked activities of the shared queue (where the workflows run). */
  sharedActivities?: object,
): Promise<T> {
  if (!quiet) {
    // Each test worker polls one kind of task; the SDK's notes about the other are noise here.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    quiet = true;
  }
  const native = await NativeConnection.connect({ address: env.address });
  const connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection, namespace: env.namespace });
  try {
    const workers = [
      await Worker.create({
        connection: native,
        namespace: env.namespace,
        taskQueue: SHARED_TASK_QUEUE,
        workflowBundle: { codePath: readState().workflowBundle },
        ...(sharedActivities ? { activities: sharedActivities } : {}),
      }),
      ...(await Promise.all(
        hosts.map((h) =>
          Worker.create({
            connection: native,
            namespace: env.namespace,
            taskQueue: hostTaskQueue(h.host),
            activities: h.activities,
            // As the real worker: a cancel reaches a heartbeating activity within seconds.
            maxHeartbeatThrottleInterval: '2 seconds',
          }),
        ),
      )),
    ];
    // runUntil stops each worker once fn settles; all of them stop before the connection closes.
    const done = fn(client);
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    await Promise.allSettled(workers.map((w) => w.runUntil(settled)));
    return await done;
  } finally {
    await connection.close();
    await native.close();
  }
}

/** A unique name per test, so that runs of one file never meet. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * Waits until the controller's memo keeps the view its query answers (what `hactl status` reads)
 * and returns the number of memo writes of the view in the current run so far.
 */
export async function viewInMemo(
  handle: WorkflowHandle,
  query: () => Promise<unknown>,
  opts: { timeoutMs?: number } = {},
): Promise<number> {
  let last = '';
  await waitFor(
    async () => {
      const [d, v] = await Promise.all([handle.describe(), query()]);
      last = JSON.stringify({ memo: d.memo?.[MEMO.view] ?? null, query: v });
      return isDeepStrictEqual(d.memo?.[MEMO.view], v);
    },
    { timeoutMs: opts.timeoutMs ?? 20_000, message: () => `memo view != query: ${last}` },
  );
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[MEMO.view])
    .length;
}
