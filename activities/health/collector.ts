// Host health collection with systeminformation. Kept cheap (see `npm run bench`): only the
// calls that read /proc or statfs, no `ps` or `ss` children on Linux.
import { readdir, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as si from 'systeminformation';
import type { FilesystemUse, HostSnapshot, InterfaceTraffic } from '../../src/health/model/types';
import { processTreeCpuMs as cpuMsNow } from './cpu';
import { VERSION } from '../../src/platform/version';
import { applyTestMetrics } from './test-metrics';

/** The subset of systeminformation the collector uses; tests inject fakes. */
export interface SystemInfo {
  currentLoad: typeof si.currentLoad;
  mem: typeof si.mem;
  fsSize: typeof si.fsSize;
  networkStats: typeof si.networkStats;
  processes: typeof si.processes;
  networkConnections: typeof si.networkConnections;
}

export interface ProcReader {
  /** Counts of processes by state, or undefined where /proc is not available. */
  processes(): Promise<{ total: number; running: number; blocked: number; sleeping: number } | undefined>;
  /** Counts of TCP sockets, or undefined where /proc is not available. */
  tcp(): Promise<{ established: number; listening: number; total: number } | undefined>;
}

export interface CollectorDeps {
  host: string;
  /** HA_TEST_METRICS_FILE (tests only; see test-metrics.ts). */
  testMetricsFile?: string;
  si?: SystemInfo;
  proc?: ProcReader;
  now?: () => Date;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const num = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);

// Pseudo filesystems tell nothing about capacity.
const SKIP_FS_TYPES = new Set([
  'squashfs',
  'tmpfs',
  'devtmpfs',
  'overlay',
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'nsfs',
]);

export const linuxProc: ProcReader = {
  async processes() {
    let entries: string[];
    try {
      entries = await readdir('/proc');
    } catch {
      return undefined;
    }
    // /proc/loadavg's 4th field is "running/total" scheduling entities; /proc/stat has
    // procs_running and procs_blocked. Both are single small reads instead of one per process.
    const total = entries.reduce((n, e) => (e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57 ? n + 1 : n), 0);
    let running = 0;
    let blocked = 0;
    try {
      const stat = await readFile('/proc/stat', 'utf8');
      running = Number(/^procs_running (\d+)/m.exec(stat)?.[1] ?? 0);
      blocked = Number(/^procs_blocked (\d+)/m.exec(stat)?.[1] ?? 0);
    } catch {
      /* keep zeros */
    }
    return { total, running, blocked, sleeping: Math.max(0, total - running - blocked) };
  },
  async tcp() {
    let established = 0;
    let listening = 0;
    let total = 0;
    let any = false;
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      any = true;
      const lines = text.split('\n');
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        if (line.length < 40) continue;
        // Columns: sl local_address rem_address st ...; st is hex (01 ESTABLISHED, 0A LISTEN).
        const st = line.trim().split(/\s+/)[3];
        total++;
        if (st === '01') established++;
        else if (st === '0A') listening++;
      }
    }
    return any ? { established, listening, total } : undefined;
  },
};

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
      await Promise.all([sys.currentLoad(), sys.networkStats('*')]);
    },

    async collect(): Promise<HostSnapshot> {
      const t0 = performance.now();
      const c0 = cpuMsNow();
      const [load, mem, fsList, nets, procs, tcpCounts] = await Promise.all([
        sys.currentLoad(),
        sys.mem(),
        sys.fsSize(),
        sys.networkStats('*'),
        processes(),
        tcp(),
      ]);
      const filesystems: FilesystemUse[] = fsList
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
      const network: InterfaceTraffic[] = nets.map((n) => ({
        iface: n.iface,
        rxBytes: num(n.rx_bytes),
        txBytes: num(n.tx_bytes),
        rxBytesPerSec: typeof n.rx_sec === 'number' && n.rx_sec >= 0 ? Math.round(n.rx_sec) : null,
        txBytesPerSec: typeof n.tx_sec === 'number' && n.tx_sec >= 0 ? Math.round(n.tx_sec) : null,
      }));
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
        network,
        processes: procs,
        tcp: tcpCounts,
        cost: { wallMs: round1(performance.now() - t0), cpuMs: round1(cpuMsNow() - c0) },
      };
      return deps.testMetricsFile ? applyTestMetrics(snapshot, deps.testMetricsFile) : snapshot;
    },
  };
}

export type HealthCollector = ReturnType<typeof createHealthCollector>;
