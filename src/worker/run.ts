// One process per host: a Worker on the shared queue (workflows + activities that may run
// anywhere) and one on the host's own queue (activities that must run on this machine).
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { LogLevel, WorkerOptions } from '@temporalio/worker';
import { createHostActivities, createSharedActivities } from '../../activities';
import { hostTaskQueue, PRODUCT, SHARED_TASK_QUEUE } from '../common/constants';
import { NAME_PATTERN } from '../config/schema';
import type { ConnectionFlags } from '../temporal/connection';
import { connectNative } from '../temporal/connection';
import { VERSION } from '../version';

export const WORKER_HEARTBEAT_INTERVAL_MS = 5_000;

export interface RunWorkerOptions extends ConnectionFlags {
  host: string;
  /** In-flight activities get this long to finish on SIGTERM/SIGINT. */
  shutdownGraceMs?: number;
  logLevel?: LogLevel;
  /** Called once both workers poll. */
  onReady?: (info: { host: string; identity: string; queues: string[] }) => void;
}

/** Identity shown in the Web UI's worker list and parsed back by `hactl hosts`. */
export function workerIdentity(host: string): string {
  return `${host}@${os.hostname()} pid=${process.pid} ${PRODUCT}/${VERSION}`;
}

export function parseIdentity(identity: string): { host?: string; version?: string; pid?: number } {
  const m = /^(.+?)@\S+ pid=(\d+) ha-orchestrator\/(\S+)$/.exec(identity);
  return m ? { host: m[1]!, pid: Number(m[2]), version: m[3]! } : {};
}

export function defaultHostName(): string {
  return os.hostname().split('.')[0]!;
}

/** Prebuilt bundle (HA_WORKFLOW_BUNDLE) or a fresh one from the compiled workflows. */
export async function workflowCodeOption(): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  const prebuilt = process.env.HA_WORKFLOW_BUNDLE;
  if (prebuilt) return { workflowBundle: { codePath: prebuilt } };
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', '..', 'workflows', 'index.js'),
    logger: new DefaultLogger('WARN'),
  });
  return { workflowBundle: bundle };
}

// Each of our two workers polls only one kind of task by design; the SDK warns about the other.
const EXPECTED_WARNINGS = [/^No activities registered/, /^No workflows registered/];

function quietLogger(level: LogLevel): DefaultLogger {
  const inner = new DefaultLogger(level);
  return new DefaultLogger(level, (entry) => {
    if (entry.level === 'WARN' && EXPECTED_WARNINGS.some((re) => re.test(entry.message))) return;
    inner.log(entry.level, entry.message, entry.meta);
  });
}

let runtimeInstalled = false;

export async function runWorker(opts: RunWorkerOptions): Promise<void> {
  if (!NAME_PATTERN.test(opts.host)) {
    throw new Error(`invalid host name "${opts.host}": use letters, digits, ".", "_" and "-"`);
  }
  if (!runtimeInstalled) {
    Runtime.install({
      logger: quietLogger(opts.logLevel ?? 'WARN'),
      workerHeartbeatInterval: WORKER_HEARTBEAT_INTERVAL_MS,
      shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
    });
    runtimeInstalled = true;
  }
  const { connection, settings } = await connectNative(opts);
  const identity = workerIdentity(opts.host);
  const host = createHostActivities({ host: opts.host });
  await host.prime();
  const common = {
    connection,
    namespace: settings.namespace,
    identity,
    shutdownGraceTime: opts.shutdownGraceMs ?? 30_000,
    // When a worker dies, its cached workflows move to another worker after this long; the
    // SDK default (10s) would delay a down report by as much.
    stickyQueueScheduleToStartTimeout: 3_000,
  };
  try {
    const shared = await Worker.create({
      ...common,
      taskQueue: SHARED_TASK_QUEUE,
      ...(await workflowCodeOption()),
      activities: createSharedActivities(),
    });
    const local = await Worker.create({
      ...common,
      taskQueue: hostTaskQueue(opts.host),
      activities: host.activities,
      // Our long steps heartbeat every 2s; sending each one (instead of the SDK's throttling up
      // to 80% of the heartbeat timeout) delivers a cancel, or the news that the run was
      // terminated, within seconds, so a cancelled restore stops before it could swap.
      maxHeartbeatThrottleInterval: '2 seconds',
    });
    // If one worker fails, stop the other too: a half-working host would look healthy.
    const stopOther = (other: Worker) => (err: unknown) => {
      if (other.getState() === 'RUNNING') other.shutdown();
      throw err;
    };
    const running = Promise.all([shared.run().catch(stopOther(local)), local.run().catch(stopOther(shared))]);
    opts.onReady?.({ host: opts.host, identity, queues: [SHARED_TASK_QUEUE, hostTaskQueue(opts.host)] });
    await running;
  } finally {
    await connection.close();
  }
}
