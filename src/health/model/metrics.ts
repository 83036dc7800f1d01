// The metrics of a host health snapshot, as capability-neutral samples (core/metrics). Pure:
// the host monitor turns each report into a batch for its subscribers (alert rules, for one).
import type { MetricSample, SampleBatch } from '../../core/metrics';
import type { HostReport, HostSnapshot } from './types';

/** Every metric a host report yields: name, labels it carries, and what it means. */
export const HOST_METRICS = {
  'host.up': { labels: [], help: '1 when the host worker answered the last snapshot, 0 when it did not' },
  'cpu.load_percent': { labels: [], help: 'CPU use of the whole host, percent' },
  'cpu.core_percent': { labels: ['core'], help: 'CPU use of one core, percent' },
  'load.1m': { labels: [], help: 'load average over 1 minute' },
  'load.5m': { labels: [], help: 'load average over 5 minutes' },
  'load.15m': { labels: [], help: 'load average over 15 minutes' },
  'memory.used_percent': { labels: [], help: 'memory in use, percent of total' },
  'swap.used_percent': { labels: [], help: 'swap in use, percent of total (0 without swap)' },
  'fs.used_percent': { labels: ['mount'], help: 'a filesystem’s used space, percent' },
  'net.rx_bytes_per_sec': { labels: ['iface'], help: 'bytes received per second by an interface' },
  'net.tx_bytes_per_sec': { labels: ['iface'], help: 'bytes sent per second by an interface' },
  'processes.total': { labels: [], help: 'number of processes' },
  'processes.running': { labels: [], help: 'processes running' },
  'processes.blocked': { labels: [], help: 'processes blocked on I/O' },
  'tcp.established': { labels: [], help: 'established TCP connections' },
} as const;

export type HostMetric = keyof typeof HOST_METRICS;

function fromSnapshot(s: HostSnapshot): MetricSample[] {
  const m = (name: HostMetric, value: number, labels: Record<string, string> = {}): MetricSample => ({
    name,
    labels,
    value,
  });
  const out: MetricSample[] = [
    m('host.up', 1),
    m('cpu.load_percent', s.cpu.loadPercent),
    ...s.cpu.perCorePercent.map((v, i) => m('cpu.core_percent', v, { core: String(i) })),
    m('load.1m', s.cpu.loadAverage[0] ?? 0),
    m('load.5m', s.cpu.loadAverage[1] ?? 0),
    m('load.15m', s.cpu.loadAverage[2] ?? 0),
    m('memory.used_percent', s.memory.usedPercent),
    m('swap.used_percent', s.swap.totalBytes > 0 ? (s.swap.usedBytes / s.swap.totalBytes) * 100 : 0),
    ...s.filesystems.map((f) => m('fs.used_percent', f.usedPercent, { mount: f.mount })),
    m('processes.total', s.processes.total),
    m('processes.running', s.processes.running),
    m('processes.blocked', s.processes.blocked),
    m('tcp.established', s.tcp.established),
  ];
  for (const n of s.network) {
    // The first sample after a worker starts has no rate yet: no sample rather than a 0.
    if (n.rxBytesPerSec !== null) out.push(m('net.rx_bytes_per_sec', n.rxBytesPerSec, { iface: n.iface }));
    if (n.txBytesPerSec !== null) out.push(m('net.tx_bytes_per_sec', n.txBytesPerSec, { iface: n.iface }));
  }
  return out;
}

/** A report as samples: everything the snapshot measured, or only host.up = 0 when it failed. */
export function reportSamples(report: HostReport): SampleBatch {
  return {
    source: report.host,
    at: report.at,
    samples: report.ok ? fromSnapshot(report.snapshot) : [{ name: 'host.up', labels: {}, value: 0 }],
  };
}
