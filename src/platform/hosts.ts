// Which host workers are live right now. Primary source: the server's worker heartbeats
// (ListWorkers, enabled on the dev server by `hactl dev`); fallback for servers without it:
// the pollers on the host queues, which are less precise (a dead worker lingers ~1 minute).
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { hostFromTaskQueue, hostTaskQueue, SHARED_TASK_QUEUE } from '../core/names';
import { parseIdentity, WORKER_HEARTBEAT_INTERVAL_MS } from './worker/identity';

export interface LiveHost {
  host: string;
  version: string;
  uptimeSeconds: number;
  pid: number | null;
  machine: string | null;
  lastSeenAt: string;
  /** More than one live worker claims this host name: a misconfiguration. */
  workers: number;
}

/** A worker that missed this many heartbeats is not live. */
const MISSED_HEARTBEATS = 3;

const STATUS_RUNNING = temporal.api.enums.v1.WorkerStatus.WORKER_STATUS_RUNNING;

export async function listLiveHosts(
  client: Client,
  now = Date.now(),
): Promise<{ hosts: LiveHost[]; source: 'heartbeats' | 'pollers' }> {
  try {
    return { hosts: await fromHeartbeats(client, now), source: 'heartbeats' };
  } catch (err) {
    const msg = String((err as Error).message);
    if (!/not supported|unimplemented|not enabled|disabled/i.test(msg)) throw err;
    return { hosts: await fromPollers(client, now), source: 'pollers' };
  }
}

async function fromHeartbeats(client: Client, now: number): Promise<LiveHost[]> {
  const byHost = new Map<string, LiveHost>();
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await client.workflowService.listWorkers({
      namespace: client.options.namespace,
      pageSize: 1000,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const info of res.workersInfo ?? []) {
      const hb = info.workerHeartbeat;
      const host = hb?.taskQueue ? hostFromTaskQueue(hb.taskQueue) : undefined;
      if (!hb || !host || hb.status !== STATUS_RUNNING) continue;
      const seen = optionalTsToMs(hb.heartbeatTime) ?? 0;
      if (now - seen > MISSED_HEARTBEATS * WORKER_HEARTBEAT_INTERVAL_MS) continue;
      const started = optionalTsToMs(hb.startTime) ?? seen;
      const id = parseIdentity(hb.workerIdentity ?? '');
      const entry: LiveHost = {
        host,
        version: id.version ?? 'unknown',
        uptimeSeconds: Math.max(0, Math.round((now - started) / 1000)),
        pid: id.pid ?? (hb.hostInfo?.processId ? Number(hb.hostInfo.processId) : null),
        machine: hb.hostInfo?.hostName ?? null,
        lastSeenAt: new Date(seen).toISOString(),
        workers: 1,
      };
      const prev = byHost.get(host);
      if (prev) {
        entry.workers = prev.workers + 1;
        if (prev.lastSeenAt > entry.lastSeenAt) Object.assign(entry, { ...prev, workers: entry.workers });
      }
      byHost.set(host, entry);
    }
    nextPageToken = res.nextPageToken?.length ? res.nextPageToken : undefined;
  } while (nextPageToken);
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

async function fromPollers(client: Client, now: number): Promise<LiveHost[]> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: SHARED_TASK_QUEUE },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const hosts = new Map<string, LiveHost>();
  for (const p of res.pollers ?? []) {
    const id = parseIdentity(p.identity ?? '');
    if (!id.host) continue;
    const seen = optionalTsToMs(p.lastAccessTime) ?? 0;
    // Long polls renew about every 60s.
    if (now - seen > 75_000) continue;
    const check = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: hostTaskQueue(id.host) },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    if (!(check.pollers ?? []).some((q) => q.identity === p.identity)) continue;
    hosts.set(id.host, {
      host: id.host,
      version: id.version ?? 'unknown',
      uptimeSeconds: 0, // unknown without heartbeats
      pid: id.pid ?? null,
      machine: null,
      lastSeenAt: new Date(seen).toISOString(),
      workers: 1,
    });
  }
  return [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host));
}
