// IDs, kinds and workflow type names of the health capability. Pure.

/** Values of the HaKind search attribute. */
export const HEALTH_KIND = {
  health: 'health',
  monitor: 'monitor',
} as const;

export const HEALTH_IDS = {
  healthSchedule: (): string => 'health:snapshots',
  healthWorkflow: (): string => 'health:snapshots',
  monitor: (host: string): string => `monitor:${host}`,
};

/** What `hactl apply` creates for health: the snapshot schedule and one monitor per host. */
export const HEALTH_OWNED_ID_PREFIXES = ['health:', 'monitor:'] as const;

/** Long-running controllers, found by kind when the config no longer names them. */
export const HEALTH_CONTROLLER_KINDS = [HEALTH_KIND.monitor] as const;

/** Workflow type names, as exported by workflows/health. */
export const HEALTH_WORKFLOWS = {
  healthSnapshot: 'healthSnapshotWorkflow',
  hostMonitor: 'hostMonitorWorkflow',
} as const;
