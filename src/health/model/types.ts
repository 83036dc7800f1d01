// Host health snapshot types, shared by the collector activity, the workflows and `hactl status`.
// Plain JSON only: these travel through Temporal payloads and `temporal workflow signal --input`.

export interface FilesystemUse {
  mount: string;
  fs: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  usedPercent: number;
}

export interface InterfaceTraffic {
  iface: string;
  rxBytes: number;
  txBytes: number;
  /** null on the first sample after a worker starts (no previous sample to compare). */
  rxBytesPerSec: number | null;
  txBytesPerSec: number | null;
}

export interface HostSnapshot {
  host: string;
  collectedAt: string; // ISO 8601
  worker: { pid: number; hostname: string; version: string };
  cpu: { cores: number; loadPercent: number; perCorePercent: number[]; loadAverage: number[] };
  memory: { totalBytes: number; usedBytes: number; availableBytes: number; usedPercent: number };
  swap: { totalBytes: number; usedBytes: number; freeBytes: number };
  filesystems: FilesystemUse[];
  network: InterfaceTraffic[];
  processes: { total: number; running: number; blocked: number; sleeping: number };
  tcp: { established: number; listening: number; total: number };
  /** Cost of taking this snapshot, as measured inside the activity. */
  cost: { wallMs: number; cpuMs: number };
}

export type HostReport =
  | { host: string; ok: true; at: string; snapshot: HostSnapshot }
  | { host: string; ok: false; at: string; reason: 'timeout' | 'error'; error: string };

export type HostState = 'unknown' | 'up' | 'down';

export interface MonitorState {
  host: string;
  state: HostState;
  /** When the state last changed. */
  since: string | null;
  lastReportAt: string | null;
  lastSnapshotAt: string | null;
  lastSnapshot: HostSnapshot | null;
  lastError: string | null;
  reports: number;
  /** Workflows that receive this host's samples after every report. */
  subscribers?: string[];
}

export interface HealthSnapshotInput {
  hosts: string[];
  /** A host that does not answer within this time is reported down. */
  timeoutMs: number;
}

export interface HealthSnapshotResult {
  startedAt: string;
  reports: HostReport[];
  up: string[];
  down: string[];
}

/** What placement (services) and target selection (failover) see of a host: its latest snapshot. */
export interface HostLoad {
  host: string;
  /** False when the host's monitor says down. */
  up: boolean;
  maintenance: boolean;
  /** CPU busy % and memory used %, null when unknown. */
  cpu: number | null;
  memory: number | null;
}
