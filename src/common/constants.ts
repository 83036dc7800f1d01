// Names that people see in the Web UI and that every process must agree on.
// Imported by workflows too, so this module stays free of Node built-ins.

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';

export const PRODUCT = 'ha-orchestrator';

/** Shared queue: workflows and activities that may run on any host. */
export const SHARED_TASK_QUEUE = 'ha-orchestrator';

const HOST_QUEUE_PREFIX = 'ha-host-';

/** Queue served only by the worker of `host`: host-local activities go here. */
export function hostTaskQueue(host: string): string {
  return `${HOST_QUEUE_PREFIX}${host}`;
}

/** Inverse of hostTaskQueue; undefined for queues that are not host queues. */
export function hostFromTaskQueue(taskQueue: string): string | undefined {
  return taskQueue.startsWith(HOST_QUEUE_PREFIX) ? taskQueue.slice(HOST_QUEUE_PREFIX.length) : undefined;
}

/** Custom search attributes, registered on the namespace by `hactl dev` / `hactl apply`. */
export const SA = {
  kind: 'HaKind',
  target: 'HaTarget',
  state: 'HaState',
  host: 'HaHost',
} as const;

export const SEARCH_ATTRIBUTE_TYPES: Record<(typeof SA)[keyof typeof SA], 'Keyword'> = {
  HaKind: 'Keyword',
  HaTarget: 'Keyword',
  HaState: 'Keyword',
  HaHost: 'Keyword',
};

/** Typed keys, for workflows and clients that set or read them. */
export const SA_KEYS = {
  kind: defineSearchAttributeKey(SA.kind, SearchAttributeType.KEYWORD),
  target: defineSearchAttributeKey(SA.target, SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey(SA.state, SearchAttributeType.KEYWORD),
  host: defineSearchAttributeKey(SA.host, SearchAttributeType.KEYWORD),
};

/** Values of the HaKind search attribute. */
export const KIND = {
  health: 'health',
  monitor: 'monitor',
  backup: 'backup',
  backupVerify: 'backup-verify',
  backupDrill: 'backup-drill',
  restore: 'restore',
  backupAdmin: 'backup-admin',
} as const;
export type Kind = (typeof KIND)[keyof typeof KIND];

/** Memo keys that mark what the reconciler owns and which config produced it. */
export const MEMO = {
  managedBy: 'haManagedBy',
  configHash: 'haConfigHash',
} as const;

/** FNV-1a, 32 bits, hex: a short stable tag for long names (pure, no Node crypto here). */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export const IDS = {
  healthSchedule: (): string => 'health:snapshots',
  healthWorkflow: (): string => 'health:snapshots',
  monitor: (host: string): string => `monitor:${host}`,
  backupSchedule: (set: string): string => `backup:${set}`,
  backupWorkflow: (set: string): string => `backup:${set}`,
  backupVerifySchedule: (set: string): string => `backup-verify:${set}`,
  backupDrillSchedule: (set: string): string => `backup-drill:${set}`,
  /**
   * One per backup, host and target: the same backup may be restored into two directories at
   * once. Two restores into one directory are kept apart by the target's lock on the host.
   */
  restoreWorkflow: (set: string, id: string, host: string, target: string): string => {
    const id_ = `restore:${set}:${id}:${host}:${target}`;
    // The server limits IDs to 1000 characters; a very long path keeps its end and a hash.
    return id_.length <= 400 ? id_ : `${id_.slice(0, 180)}…${id_.slice(-180)}#${shortHash(target)}`;
  },
  restoreCheckWorkflow: (set: string, at: number): string => `restore-check:${set}-${at}`,
  /** One-off helpers started by hactl; unique per call. */
  backupAdminWorkflow: (op: 'list' | 'prune' | 'verify' | 'drill', set: string, at: number): string =>
    `backup-${op}:${set}-${at}`,
};

/** ID prefixes of everything `hactl apply` creates; used to find what it owns. */
export const OWNED_ID_PREFIXES = ['health:', 'monitor:', 'backup:', 'backup-verify:', 'backup-drill:'];

/** Workflow type names, as registered by the worker (function names in workflows/). */
export const WORKFLOW_TYPES = {
  healthSnapshot: 'healthSnapshotWorkflow',
  hostMonitor: 'hostMonitorWorkflow',
  backup: 'backupWorkflow',
  scheduledBackup: 'scheduledBackupWorkflow',
  restore: 'restoreWorkflow',
  backupVerify: 'backupVerifyWorkflow',
  backupDrill: 'backupDrillWorkflow',
  backupList: 'backupListWorkflow',
  backupPrune: 'backupPruneWorkflow',
  restoreCheck: 'restoreCheckWorkflow',
} as const;

/** Search attributes that let the Web UI filter by kind of job, target and host. */
export function searchAttributePairs(kind: Kind, target: string, host?: string): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA_KEYS.kind, value: kind },
    { key: SA_KEYS.target, value: target },
  ];
  if (host) pairs.push({ key: SA_KEYS.host, value: host });
  return pairs;
}

/** Controllers are long-running singletons; their kinds let the reconciler find orphans. */
export const CONTROLLER_KINDS: readonly Kind[] = [KIND.monitor];
