// What a host's health is read from on Linux: /proc and statfs only, no child processes (no
// `ps`, `ss`, `df`, `cat` or `nmcli`), so that a snapshot stays cheap on a host with many
// sockets and on a machine with fifty workers (see `npm run bench -- fleet`).
import { readdir, readFile, statfs } from 'node:fs/promises';
import * as os from 'node:os';
import type { FilesystemUse } from '../../src/health/model/types';

export interface ProcReader {
  /** Counts of processes by state, or undefined where /proc is not available. */
  processes(): Promise<{ total: number; running: number; blocked: number; sleeping: number } | undefined>;
  /** Counts of TCP sockets, or undefined where /proc is not available. */
  tcp(): Promise<{ established: number; listening: number; total: number } | undefined>;
  /** Busy and total ticks of each CPU since boot, or undefined without /proc. */
  cpuTicks?(): Promise<Array<{ busy: number; total: number }> | undefined>;
  /** Byte counters of the interfaces that have an address, or undefined without /proc. */
  network?(): Promise<Array<{ iface: string; rxBytes: number; txBytes: number }> | undefined>;
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;
export const num = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);

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

export const SKIP_FS_TYPES = new Set([
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

/** A file's text, or undefined where it cannot be read (no /proc). */
async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * /proc/stat, read once for the process counts and the CPU ticks of one snapshot: a call while
 * a read is in flight shares it; the next snapshot reads afresh.
 */
let statInFlight: Promise<string | undefined> | undefined;
function procStat(): Promise<string | undefined> {
  statInFlight ??= readText('/proc/stat').finally(() => (statInFlight = undefined));
  return statInFlight;
}

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
    const stat = await procStat();
    if (stat !== undefined) {
      running = Number(/^procs_running (\d+)/m.exec(stat)?.[1] ?? 0);
      blocked = Number(/^procs_blocked (\d+)/m.exec(stat)?.[1] ?? 0);
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
  async cpuTicks() {
    // systeminformation's currentLoad runs `cat /proc/stat | grep cpu` through execSync on
    // Linux: a shell started on every snapshot, with the worker's event loop blocked meanwhile.
    const stat = await procStat();
    return stat === undefined ? undefined : parseCpuTicks(stat);
  },
  async network() {
    // One read of /proc/net/dev for every interface. systeminformation's networkStats runs a
    // shell with seven `cat`s per interface and looks for nmcli on every call: a quarter of a
    // second of CPU per snapshot, times fifty hosts on one machine in the fleet bench.
    const dev = await readText('/proc/net/dev');
    if (dev === undefined) return undefined;
    // The interfaces systeminformation listed: those with an address.
    const named = new Set(Object.keys(os.networkInterfaces()));
    return parseNetDev(dev).filter((n) => named.has(n.iface));
  },
};

/**
 * Per-CPU ticks of /proc/stat (`cpuN user nice system idle iowait irq softirq steal ...`): busy
 * is all but idle and iowait (guest time is already in user). The `cpu` total line is skipped.
 */
export function parseCpuTicks(text: string): Array<{ busy: number; total: number }> {
  const out: Array<{ busy: number; total: number }> = [];
  for (const line of text.split('\n')) {
    if (!/^cpu\d/.test(line)) continue;
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 4 || f.some((n) => !Number.isFinite(n))) continue;
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3]! + (f[4] ?? 0);
    out.push({ busy: total - idle, total });
  }
  return out;
}

/** The byte counters of /proc/net/dev: `iface: rx_bytes ... (8 fields) tx_bytes ...`. */
export function parseNetDev(text: string): Array<{ iface: string; rxBytes: number; txBytes: number }> {
  const out: Array<{ iface: string; rxBytes: number; txBytes: number }> = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (!iface || f.length < 9) continue;
    const rx = Number(f[0]);
    const tx = Number(f[8]);
    if (Number.isFinite(rx) && Number.isFinite(tx)) out.push({ iface, rxBytes: rx, txBytes: tx });
  }
  return out;
}

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
