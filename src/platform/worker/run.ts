// One process per host: a Worker on the host's own queue (activities that must run on this
// machine); and, only when told (`hactl worker --workflows`), one on the shared queue: the
// workflows and the activities that may run anywhere (notifications, HTTP checks). A fleet's
// host workers stay small — the workflow sandbox and a second set of pollers are most of a
// worker's memory — and the few workers with --workflows serve the rest. The workflows and
// activities are those of every capability in the registry.
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { LogLevel, WorkerOptions } from '@temporalio/worker';
import { BadInput, OperationFailed } from '../../core/errors';
import { hostTaskQueue, NAME_PATTERN, SHARED_TASK_QUEUE } from '../../core/names';
import { CAPABILITIES } from '../../registry';
import type { ConnectionFlags, ConnectionSettings } from '../temporal/connection';
import { connectFailure, connectionSettings } from '../temporal/connection';
import { dataConverterFor } from '../temporal/codec-config';
import { hostStateDir } from '../../../activities/shared/host-state';
import { WORKER_HEARTBEAT_INTERVAL_MS, workerIdentity } from './identity';
import { BUNDLE_FILE, bundleIsFresh } from './bundle';
import { activityModules, workflowBundleOptions } from './modules';

export { defaultHostName, parseIdentity, WORKER_HEARTBEAT_INTERVAL_MS, workerIdentity } from './identity';

export interface RunWorkerOptions extends ConnectionFlags {
  host: string;
  /** Also serve workflow tasks on the shared queue. */
  workflows?: boolean;
  /** In-flight activities get this long to finish on SIGTERM/SIGINT. */
  shutdownGraceMs?: number;
  logLevel?: LogLevel;
  /**
   * HOST:PORT where the SDK serves its runtime metrics (task slots, polls, latencies, ...) in the
   * Prometheus format on /metrics; absent: none.
   */
  metricsAddress?: string;
  /** Called once both workers poll. */
  onReady?: (info: { host: string; identity: string; queues: string[]; workflows: boolean }) => void;
}

/** The Rust-core connection that Workers need. */
export async function connectNative(
  flags: ConnectionFlags = {},
): Promise<{ connection: NativeConnection; settings: ConnectionSettings }> {
  const settings = connectionSettings(flags);
  try {
    const connection = await NativeConnection.connect(settings.options);
    return { connection, settings };
  } catch (err) {
    throw await connectFailure(settings, err);
  }
}

/**
 * The workflow code: HA_WORKFLOW_BUNDLE, else the bundle built with the code (dist/
 * workflow-bundle.js), else — when that is missing or older than the code — bundled now.
 */
export async function workflowCodeOption(
  log: (line: string) => void = () => undefined,
): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  const prebuilt = process.env.HA_WORKFLOW_BUNDLE;
  if (prebuilt) return { workflowBundle: { codePath: prebuilt } };
  if (bundleIsFresh()) return { workflowBundle: { codePath: BUNDLE_FILE } };
  log(`no current workflow bundle at ${BUNDLE_FILE} (npm run build makes it): bundling now`);
  const { cleanup, ...options } = workflowBundleOptions(CAPABILITIES);
  try {
    return { workflowBundle: await bundleWorkflowCode({ ...options, logger: new DefaultLogger('WARN') }) };
  } finally {
    cleanup();
  }
}

/** Host and shared activities of every capability, built for this host. */
export function buildActivities(host: string, env: NodeJS.ProcessEnv = process.env) {
  const deps = { host, env, stateDir: hostStateDir(host, env) };
  const hostActivities: Record<string, unknown> = {};
  const shared: Record<string, unknown> = {};
  const primes: Array<() => Promise<void>> = [];
  for (const { name, module } of activityModules(CAPABILITIES)) {
    const h = module.host?.(deps);
    const s = module.shared?.({ env }) ?? {};
    for (const key of [...Object.keys(h?.activities ?? {}), ...Object.keys(s)]) {
      if (key in hostActivities || key in shared)
        throw new Error(`activity ${key} of ${name} is defined twice`);
    }
    Object.assign(hostActivities, h?.activities ?? {});
    Object.assign(shared, s);
    if (h?.prime) primes.push(() => h.prime!());
  }
  return {
    host: hostActivities,
    shared,
    prime: async () => void (await Promise.all(primes.map((p) => p()))),
  };
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

/** The SDK runtime (one per process) with its Prometheus exporter when asked for. */
let runtimeInstalled: { metricsAddress: string | undefined } | null = null;

/**
 * The SDK's Prometheus exporter, named by Prometheus conventions: counters end in _total,
 * durations are histograms in seconds with the unit in their names.
 */
export function prometheusTelemetry(bindAddress: string) {
  return {
    metrics: {
      prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
    },
  };
}

function installRuntime(opts: RunWorkerOptions): void {
  if (runtimeInstalled) {
    if (runtimeInstalled.metricsAddress !== opts.metricsAddress)
      throw new Error(
        `the Temporal runtime of this process was installed with metrics at ${runtimeInstalled.metricsAddress ?? '(none)'}; it cannot change to ${opts.metricsAddress ?? '(none)'}`,
      );
    return;
  }
  try {
    Runtime.install({
      logger: quietLogger(opts.logLevel ?? 'WARN'),
      workerHeartbeatInterval: WORKER_HEARTBEAT_INTERVAL_MS,
      shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
      ...(opts.metricsAddress ? { telemetryOptions: prometheusTelemetry(opts.metricsAddress) } : {}),
    });
  } catch (err) {
    if (!opts.metricsAddress) throw err;
    throw new OperationFailed(
      `cannot serve the worker metrics on ${opts.metricsAddress}: ${(err as Error).message}`,
    );
  }
  runtimeInstalled = { metricsAddress: opts.metricsAddress };
}

export async function runWorker(opts: RunWorkerOptions): Promise<void> {
  if (!NAME_PATTERN.test(opts.host)) {
    throw new BadInput(`invalid host name "${opts.host}": use letters, digits, ".", "_" and "-"`);
  }
  installRuntime(opts);
  const { connection, settings } = await connectNative(opts);
  const identity = workerIdentity(opts.host);
  const activities = buildActivities(opts.host);
  await activities.prime();
  const common = {
    connection,
    namespace: settings.namespace,
    // Payload encryption when configured; activities' clients use it too.
    ...dataConverterFor(opts.config),
    identity,
    shutdownGraceTime: opts.shutdownGraceMs ?? 30_000,
    // When a worker dies, its cached workflows move to another worker after this long; the
    // SDK default (10s) would delay a down report by as much.
    stickyQueueScheduleToStartTimeout: 3_000,
    // Our long steps heartbeat every 2s; sending each one (instead of the SDK's throttling up
    // to 80% of the heartbeat timeout) delivers a cancel, or the news that the run was
    // terminated, within seconds: a cancelled restore stops before it could swap, an aborted
    // DR step's process is gone before the undo starts.
    maxHeartbeatThrottleInterval: 2_000,
  };
  try {
    const local = await Worker.create({
      ...common,
      taskQueue: hostTaskQueue(opts.host),
      activities: activities.host,
    });
    // The shared queue — workflows and the activities that may run anywhere (notifications,
    // HTTP checks) — only where workflows run: a host worker is its host queue alone.
    const shared = opts.workflows
      ? await Worker.create({
          ...common,
          taskQueue: SHARED_TASK_QUEUE,
          ...(await workflowCodeOption((l) => console.error(l))),
          activities: activities.shared,
        })
      : null;
    const workers = shared ? [local, shared] : [local];
    // If one worker fails, stop the other too: a half-working host would look healthy.
    const running = Promise.all(
      workers.map((w) =>
        w.run().catch((err: unknown) => {
          for (const other of workers) if (other !== w && other.getState() === 'RUNNING') other.shutdown();
          throw err;
        }),
      ),
    );
    opts.onReady?.({
      host: opts.host,
      identity,
      queues: shared ? [SHARED_TASK_QUEUE, hostTaskQueue(opts.host)] : [hostTaskQueue(opts.host)],
      workflows: !!opts.workflows,
    });
    await running;
  } finally {
    await connection.close();
  }
}
