// Health's part of `hactl status`: per host the latest snapshot (from monitor:<host>), its
// age, up or down. Hosts of the config and any host with a running monitor are shown.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { SA } from '../core/search-attributes';
import { formatPercent, formatRate, formatSeconds } from '../core/format';
import { formatTable } from '../platform/cli/table';
import type { StatusContext, StatusSection } from '../platform/capability';
import { statusContext } from '../platform/status';
import { controllerReads } from '../platform/status-reads';
import type { BaseConfig } from '../platform/config/load';
import { monitorStateQuery } from '../../workflows/health/messages';
import type { HealthSection } from './desired';
import { healthMetrics } from './metrics';
import { HEALTH_IDS, HEALTH_KIND } from './model/ids';
import type { HostSnapshot, HostState, MonitorState } from './model/types';

export interface HostStatus {
  host: string;
  state: HostState | 'no-monitor' | 'unavailable';
  since: string | null;
  snapshotAt: string | null;
  ageSeconds: number | null;
  lastReportAt: string | null;
  error: string | null;
  snapshot: HostSnapshot | null;
}

/** What the query of one monitor gave: its state, or why there is none (never rejects). */
type MonitorRead = { state: MonitorState } | { missing: boolean; why: string };

async function readMonitor(client: Client, host: string): Promise<MonitorRead> {
  try {
    return { state: await client.workflow.getHandle(HEALTH_IDS.monitor(host)).query(monitorStateQuery) };
  } catch (err) {
    return { missing: err instanceof WorkflowNotFoundError, why: (err as Error).message };
  }
}

/** The hosts with a running monitor: also those of another config, or of none given. */
async function monitoredHosts(client: Client): Promise<string[]> {
  const hosts: string[] = [];
  const prefix = HEALTH_IDS.monitor('');
  for await (const w of client.workflow.list({
    query: `${SA.kind} = '${HEALTH_KIND.monitor}' AND ExecutionStatus = 'Running'`,
  }))
    if (w.workflowId.startsWith(prefix)) hosts.push(w.workflowId.slice(prefix.length));
  return hosts;
}

const reads = controllerReads('monitor', monitoredHosts, readMonitor);

/** One host's row from its monitor's answer. Pure. */
function hostStatusOf(host: string, read: MonitorRead, now: number): HostStatus {
  const empty = { since: null, snapshotAt: null, ageSeconds: null, lastReportAt: null, snapshot: null };
  if (!('state' in read)) {
    return read.missing
      ? {
          host,
          state: 'no-monitor',
          ...empty,
          error: `no ${HEALTH_IDS.monitor(host)} workflow; run hactl apply`,
        }
      : {
          host,
          state: 'unavailable',
          ...empty,
          error: `cannot query ${HEALTH_IDS.monitor(host)}: ${read.why} (is a worker running?)`,
        };
  }
  const s = read.state;
  const at = s.lastSnapshotAt ? Date.parse(s.lastSnapshotAt) : null;
  return {
    host,
    state: s.state,
    since: s.since,
    snapshotAt: s.lastSnapshotAt,
    ageSeconds: at === null ? null : Math.max(0, Math.round((now - at) / 100) / 10),
    lastReportAt: s.lastReportAt,
    error: s.state === 'down' ? s.lastError : null,
    snapshot: s.lastSnapshot,
  };
}

export async function collectHostStatus(
  client: Client,
  config: (BaseConfig & HealthSection) | undefined,
  now: number,
  ctx: StatusContext = statusContext(client),
): Promise<HostStatus[]> {
  const hosts = new Set(config?.hosts.map((h) => h.name) ?? []);
  for (const h of await reads.names(client, ctx)) hosts.add(h);
  return Promise.all(
    [...hosts].sort().map(async (h) => hostStatusOf(h, await reads.view(client, ctx, h), now)),
  );
}

/** The hosts table of `hactl status`. Pure. */
export function renderHostStatus(hosts: HostStatus[]): string[] {
  return formatTable(
    ['HOST', 'STATE', 'SNAPSHOT AGE', 'CPU', 'MEM', 'FULLEST FS', 'NET RX/TX', 'NOTE'],
    hosts.map((h) => {
      const s = h.snapshot;
      const fullest = s?.filesystems.reduce<(typeof s.filesystems)[number] | undefined>(
        (a, f) => (!a || f.usedPercent > a.usedPercent ? f : a),
        undefined,
      );
      const rx = s?.network.reduce((n, i) => n + (i.rxBytesPerSec ?? 0), 0);
      const tx = s?.network.reduce((n, i) => n + (i.txBytesPerSec ?? 0), 0);
      return [
        h.host,
        h.state,
        formatSeconds(h.ageSeconds),
        formatPercent(s?.cpu.loadPercent),
        formatPercent(s?.memory.usedPercent),
        fullest ? `${fullest.mount} ${formatPercent(fullest.usedPercent)}` : '-',
        s ? `${formatRate(rx)} / ${formatRate(tx)}` : '-',
        h.error ?? '',
      ];
    }),
  );
}

export const healthStatus: StatusSection<HealthSection, HostStatus[]> = {
  key: 'hosts',
  collect: collectHostStatus,
  prefetch: reads.prefetch,
  render: renderHostStatus,
  metrics: healthMetrics,
};
