// Host health collection with systeminformation. Kept cheap (see `npm run bench`): on Linux
// only reads of /proc and statfs, no `ps`, `ss` or `df` children.
import { readdir, readFile, statfs } from 'node:fs/promises';
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
/** Kernel and virtual filesystems that /proc/mounts lists and df -l does not show. */
const PSEUDO_FS = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'configfs',
  'debugfs',
  'devpts',
  'fusectl',
  'hugetlbfs',
  'mqueue',
  'pstore',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'tracefs',
  'efivarfs',
  'ramfs',
]);

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
    // Established and total from the kernel's counters (two small reads). The listening count
    // needs the socket tables, which list every TIME_WAIT socket too: tens of milliseconds of
    // kernel time on a host with thousands of short connections. They are read each time while
    // small, and at most once a minute once large (listening sockets change seldom).
    let snmp: string;
    let sockstat: string;
    try {
      [snmp, sockstat] = await Promise.all([
        readFile('/proc/net/snmp', 'utf8'),
        readFile('/proc/net/sockstat', 'utf8'),
      ]);
    } catch {
      return undefined;
    }
    const tcpLines = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
    const names = tcpLines[0]?.split(/\s+/) ?? [];
    const values = tcpLines[1]?.split(/\s+/) ?? [];
    const established = Number(values[names.indexOf('CurrEstab')] ?? 0);
    const v4 = /^TCP: inuse (\d+) orphan \d+ tw (\d+)/m.exec(sockstat);
    let total = v4 ? Number(v4[1]) + Number(v4[2]) : 0;
    try {
      const v6 = /^TCP6: inuse (\d+)/m.exec(await readFile('/proc/net/sockstat6', 'utf8'));
      if (v6) total += Number(v6[1]);
    } catch {
      /* no IPv6 */
    }
    const now = Date.now();
    if (total < LARGE_SOCKET_TABLE || now - listeningCache.at > 60_000) {
      let listening = 0;
      for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
        try {
          listening += countTcpStates(await readFile(file)).listening;
        } catch {
          /* no such table */
        }
      }
      listeningCache.value = listening;
      listeningCache.at = now;
    }
    return { established, listening: listeningCache.value, total };
  },
};

/** Sockets past which the tables are read at most once a minute. */
const LARGE_SOCKET_TABLE = 2000;
const listeningCache = { value: 0, at: 0 };

const SPACE = 0x20;
const NEWLINE = 0x0a;
const hex = (c: number): number => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);

/**
 * Counts the sockets of a /proc/net/tcp{,6} file by state (its 4th column, hex: 01 ESTABLISHED,
 * 0A LISTEN), scanning bytes: a host with thousands of sockets (TIME_WAIT after many short
 * probes) has a file of megabytes, which splitting into strings made the most costly part of
 * a snapshot.
 */
export function countTcpStates(buf: Buffer): { established: number; listening: number; total: number } {
  let established = 0;
  let listening = 0;
  let total = 0;
  let i = buf.indexOf(NEWLINE) + 1; // past the header
  while (i > 0 && i < buf.length) {
    const end = buf.indexOf(NEWLINE, i);
    const stop = end < 0 ? buf.length : end;
    // Skip to the 4th field: fields are separated by runs of spaces, with leading spaces.
    let field = 0;
    let j = i;
    while (j < stop && field < 4) {
      while (j < stop && buf[j] === SPACE) j++;
      if (j >= stop) break;
      field++;
      if (field === 4) break;
      while (j < stop && buf[j] !== SPACE) j++;
    }
    if (field === 4 && j + 1 < stop) {
      const st = hex(buf[j]!) * 16 + hex(buf[j + 1]!);
      total++;
      if (st === 0x01) established++;
      else if (st === 0x0a) listening++;
    }
    if (end < 0) break;
    i = end + 1;
  }
  return { established, listening, total };
}

/** Mounts and their use from /proc/mounts and statfs: what df prints, without running df. */
export async function linuxFilesystems(): Promise<FilesystemUse[] | undefined> {
  let mounts: string;
  try {
    mounts = await readFile('/proc/self/mounts', 'utf8');
  } catch {
    return undefined;
  }
  const seen = new Set<string>();
  const out: FilesystemUse[] = [];
  for (const line of mounts.split('\n')) {
    const [fs, rawMount, type] = line.split(' ');
    if (!fs || !rawMount || !type || SKIP_FS_TYPES.has(type) || PSEUDO_FS.has(type)) continue;
    // Spaces and the like are octal escapes in /proc/mounts.
    const mount = rawMount.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (seen.has(mount)) continue;
    seen.add(mount);
    try {
      const st = await statfs(mount);
      const size = st.blocks * st.bsize;
      if (size <= 0) continue;
      const used = (st.blocks - st.bfree) * st.bsize;
      const available = st.bavail * st.bsize;
      out.push({
        mount,
        fs,
        type,
        sizeBytes: size,
        usedBytes: used,
        availableBytes: available,
        // df's figure: of what users may use, how much is used.
        usedPercent: round1(used + available > 0 ? (used / (used + available)) * 100 : 0),
      });
    } catch {
      /* a mount that vanished or cannot be read: skipped, as df does */
    }
  }
  return out;
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
      const [load, mem, filesystems, nets, procs, tcpCounts] = await Promise.all([
        sys.currentLoad(),
        sys.mem(),
        filesystemsNow(),
        sys.networkStats('*'),
        processes(),
        tcp(),
      ]);
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
