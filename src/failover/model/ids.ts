// IDs, kinds and workflow type names of the failover capability. Pure.

export const FAILOVER_KIND = { controller: 'failover' } as const;

export const FAILOVER_IDS = {
  /** One controller per group: its record of the primary is the leader lock. */
  controller: (group: string): string => `failover:${group}`,
};

export const FAILOVER_OWNED_ID_PREFIXES = ['failover:'] as const;
export const FAILOVER_CONTROLLER_KINDS = [FAILOVER_KIND.controller] as const;
export const FAILOVER_WORKFLOWS = { controller: 'failoverGroupWorkflow' } as const;
