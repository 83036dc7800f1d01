// Host health collection. Kept cheap (see `npm run bench`): on Linux from /proc and statfs
// (proc.ts); systeminformation only where there is no /proc, and for memory.
import * as os from 'node:os';
import * as si from 'systeminformation';
import type { FilesystemUse, HostSnapshot, InterfaceTraffic } from '../../src/health/model/types';
import { processTreeCpuMs as cpuMsNow } from './cpu';
import { VERSION } from '../../src/platform/version';
import { applyTestMetrics } from './test-metrics';
import type { ProcReader } from './proc';
import { linuxFilesystems, linuxProc, num, round1, SKIP_FS_TYPES } from './proc';

export type { ProcReader };
export { countTcpStates, linuxFilesystems, linuxProc, parseCpuTicks, parseNetDev } from './proc';

/** The subset of systeminformation the collector uses; tests inject fakes. */
export interface SystemInfo {
  currentLoad: typeof si.currentLoad;
  mem: typeof si.mem;
  fsSize: typeof si.fsSize;
  networkStats: typeof si.networkStats;
  processes: typeof si.processes;
  networkConnections: typeof si.networkConnections;
}

export interface CollectorDeps {
  host: string;
  /** HA_TEST_METRICS_FILE (tests only; see test-metrics.ts). */
  testMetricsFile?: string;
  si?: SystemInfo;
  proc?: ProcReader;
  now?: () => Date;
}

export function createHealthCollector(deps: CollectorDeps) {
  const sys: SystemInfo = deps.si ?? si;
  const proc = deps.proc ?? (process.platform === 'linux' ? linuxProc : undefined);
  const now = deps.now ?? (() => new Date());

  async function processes(): Promise<HostSnapshot['processes']> {
    const fromProc = await proc?.processes();
    if (fromProc) return fromProc;
    const p = await sys.processes();
    return { total: num(p.all), running: num(p.running), blocked: num(p.blocked), sleeping: num(p.sleeping) };
  }

  async function filesystemsNow(): Promise<FilesystemUse[]> {
    const fromProc = deps.si ? undefined : await (proc ? linuxFilesystems() : undefined);
    if (fromProc) return fromProc;
    return (await sys.fsSize())
      .filter((f) => !SKIP_FS_TYPES.has(f.type) && num(f.size) > 0)
      .map((f) => ({
        mount: f.mount,
        fs: f.fs,
        type: f.type,
        sizeBytes: num(f.size),
        usedBytes: num(f.used),
        availableBytes: num(f.available),
        usedPercent: round1(num(f.use)),
      }));
  }

  // The previous counters of each interface, for rates (null until there is one).
  const lastNet = new Map<string, { rx: number; tx: number; at: number }>();
  const rate = (now: number, then: number, ms: number): number | null =>
    ms > 0 && now >= then ? Math.round(((now - then) * 1000) / ms) : null;

  async function network(): Promise<InterfaceTraffic[]> {
    const counters = deps.si ? undefined : await proc?.network?.();
    if (counters) {
      const at = performance.now();
      return counters.map((c) => {
        const prev = lastNet.get(c.iface);
        lastNet.set(c.iface, { rx: c.rxBytes, tx: c.txBytes, at });
        return {
          iface: c.iface,
          rxBytes: c.rxBytes,
          txBytes: c.txBytes,
          rxBytesPerSec: prev ? rate(c.rxBytes, prev.rx, at - prev.at) : null,
          txBytesPerSec: prev ? rate(c.txBytes, prev.tx, at - prev.at) : null,
        };
      });
    }
    return (await sys.networkStats('*')).map((n) => ({
      iface: n.iface,
      rxBytes: num(n.rx_bytes),
      txBytes: num(n.tx_bytes),
      rxBytesPerSec: typeof n.rx_sec === 'number' && n.rx_sec >= 0 ? Math.round(n.rx_sec) : null,
      txBytesPerSec: typeof n.tx_sec === 'number' && n.tx_sec >= 0 ? Math.round(n.tx_sec) : null,
    }));
  }

  // CPU load since the previous sample (since boot for the first one), as currentLoad gives it.
  let lastTicks: Array<{ busy: number; total: number }> = [];
  let lastLoad: { currentLoad: number; cpus: Array<{ load: number }> } | undefined;
  async function cpuLoad(): Promise<{ currentLoad: number; cpus: Array<{ load: number }> }> {
    const ticks = deps.si ? undefined : await proc?.cpuTicks?.();
    if (!ticks?.length) return sys.currentLoad();
    const pct = (busy: number, total: number): number => (total > 0 ? (busy / total) * 100 : 0);
    const prev = ticks.length === lastTicks.length ? lastTicks : ticks.map(() => ({ busy: 0, total: 0 }));
    const d = ticks.map((t, i) => ({ busy: t.busy - prev[i]!.busy, total: t.total - prev[i]!.total }));
    const sum = d.reduce((a, x) => ({ busy: a.busy + x.busy, total: a.total + x.total }), {
      busy: 0,
      total: 0,
    });
    // Two samples within one tick say nothing new: the last figures stand.
    if (sum.total <= 0 && lastLoad) return lastLoad;
    lastTicks = ticks;
    lastLoad = {
      currentLoad: pct(sum.busy, sum.total),
      cpus: d.map((x) => ({ load: pct(x.busy, x.total) })),
    };
    return lastLoad;
  }

  async function tcp(): Promise<HostSnapshot['tcp']> {
    const fromProc = await proc?.tcp();
    if (fromProc) return fromProc;
    const conns = (await sys.networkConnections()).filter((c) => c.protocol.startsWith('tcp'));
    return {
      established: conns.filter((c) => c.state === 'ESTABLISHED').length,
      listening: conns.filter((c) => c.state === 'LISTEN').length,
      total: conns.length,
    };
  }

  return {
    /** Takes a first sample so that the first real snapshot has rates to report. */
    async prime(): Promise<void> {
      await Promise.all([cpuLoad(), network()]);
    },

    async collect(): Promise<HostSnapshot> {
      const t0 = performance.now();
      const c0 = cpuMsNow();
      const [load, mem, filesystems, traffic, procs, tcpCounts] = await Promise.all([
        cpuLoad(),
        sys.mem(),
        filesystemsNow(),
        network(),
        processes(),
        tcp(),
      ]);
      const snapshot: HostSnapshot = {
        host: deps.host,
        collectedAt: now().toISOString(),
        worker: { pid: process.pid, hostname: os.hostname(), version: VERSION },
        cpu: {
          cores: load.cpus.length,
          loadPercent: round1(num(load.currentLoad)),
          perCorePercent: load.cpus.map((c) => round1(num(c.load))),
          loadAverage: os.loadavg().map(round1),
        },
        memory: {
          totalBytes: num(mem.total),
          usedBytes: num(mem.total) - num(mem.available),
          availableBytes: num(mem.available),
          usedPercent: mem.total ? round1(((mem.total - mem.available) / mem.total) * 100) : 0,
        },
        swap: { totalBytes: num(mem.swaptotal), usedBytes: num(mem.swapused), freeBytes: num(mem.swapfree) },
        filesystems,
        network: traffic,
        processes: procs,
        tcp: tcpCounts,
        cost: { wallMs: round1(performance.now() - t0), cpuMs: round1(cpuMsNow() - c0) },
      };
      return deps.testMetricsFile ? applyTestMetrics(snapshot, deps.testMetricsFile) : snapshot;
    },
  };
}

export type HealthCollector = ReturnType<typeof createHealthCollector>;
