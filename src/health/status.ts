// Health's part of `hactl status`: per host the latest snapshot (from monitor:<host>), its
// age, up or down. Hosts of the config and any host with a running monitor are shown.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { SA } from '../core/search-attributes';
import { formatPercent, formatRate, formatSeconds } from '../core/format';
import { formatTable } from '../platform/cli/table';
import type { StatusSection } from '../platform/capability';
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

const QUERY_TIMEOUT_MS = 5_000;

async function hostStatus(client: Client, host: string, now: number): Promise<HostStatus> {
  const empty = { since: null, snapshotAt: null, ageSeconds: null, lastReportAt: null, snapshot: null };
  let s: MonitorState;
  try {
    s = await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(HEALTH_IDS.monitor(host)).query(monitorStateQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return {
        host,
        state: 'no-monitor',
        ...empty,
        error: `no ${HEALTH_IDS.monitor(host)} workflow; run hactl apply`,
      };
    }
    const why = (err as Error).message;
    return {
      host,
      state: 'unavailable',
      ...empty,
      error: `cannot query ${HEALTH_IDS.monitor(host)}: ${why} (is a worker running?)`,
    };
  }
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
): Promise<HostStatus[]> {
  const hosts = new Set(config?.hosts.map((h) => h.name) ?? []);
  // Monitors of hosts not in this config (another config, or none given) still count.
  const prefix = HEALTH_IDS.monitor('');
  for await (const w of client.workflow.list({
    query: `${SA.kind} = '${HEALTH_KIND.monitor}' AND ExecutionStatus = 'Running'`,
  })) {
    if (w.workflowId.startsWith(prefix)) hosts.add(w.workflowId.slice(prefix.length));
  }
  return Promise.all([...hosts].sort().map((h) => hostStatus(client, h, now)));
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
  render: renderHostStatus,
  metrics: healthMetrics,
};
