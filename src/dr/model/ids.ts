// IDs, kinds and workflow type names of the DR capability. Pure.

export const DR_KIND = { run: 'dr', drillSchedule: 'dr-drill' } as const;

export const DR_IDS = {
  /** One workflow per run; `run` is a short time-based id (or the schedule's). */
  run: (plan: string, run: string): string => `dr:${plan}:${run}`,
  /** Scheduled drills of a plan; their runs are `dr:<plan>:drill-<time>`. */
  drillSchedule: (plan: string): string => `dr-drill:${plan}`,
};

/** The plan and run of `dr:<plan>:<run>`; null for other IDs. */
export function parseRunId(workflowId: string): { plan: string; run: string } | null {
  const m = /^dr:([^:]+):(.+)$/.exec(workflowId);
  return m ? { plan: m[1]!, run: m[2]! } : null;
}

/** A run id from its start time: sortable, readable, unique to the millisecond. */
export function newRunId(now: number, drill: boolean): string {
  const t = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z');
  return `${drill ? 'drill-' : ''}${t}`;
}

export const DR_OWNED_ID_PREFIXES = ['dr-drill:'] as const;
export const DR_CONTROLLER_KINDS = [] as const;
export const DR_WORKFLOWS = { run: 'drPlanWorkflow' } as const;
