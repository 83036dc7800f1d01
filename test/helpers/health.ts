// Health reports for tests: report i is taken i seconds after 2026-01-01T00:00:00Z, its
// snapshot's worker pid and CPU load are i.
import type { HostReport } from '../../src/health/model/types';

export const reportAt = (i: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();

/** Report i of `host`: a small snapshot, or a timeout with `error`. */
export function healthReport(host: string, i: number, ok: boolean, error = `no answer #${i}`): HostReport {
  const at = reportAt(i);
  if (!ok) return { host, ok: false, at, reason: 'timeout', error };
  return {
    host,
    ok: true,
    at,
    snapshot: {
      host,
      collectedAt: at,
      worker: { pid: i, hostname: 'h', version: 'test' },
      cpu: { cores: 1, loadPercent: i, perCorePercent: [i], loadAverage: [0, 0, 0] },
      memory: { totalBytes: 1, usedBytes: 1, availableBytes: 0, usedPercent: 100 },
      swap: { totalBytes: 0, usedBytes: 0, freeBytes: 0 },
      filesystems: [],
      network: [],
      processes: { total: 1, running: 1, blocked: 0, sleeping: 0 },
      tcp: { established: 0, listening: 0, total: 0 },
      cost: { wallMs: 1, cpuMs: 1 },
    },
  };
}
