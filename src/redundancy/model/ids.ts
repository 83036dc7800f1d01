// IDs, kinds and workflow type names of the redundancy capability. Pure.

export const REDUNDANCY_KIND = { controller: 'redundancy' } as const;

export const REDUNDANCY_IDS = {
  /** One controller per service. */
  controller: (service: string): string => `redundancy:${service}`,
  instance: (service: string, n: number): string => `${service}-${n}`,
};

export const REDUNDANCY_OWNED_ID_PREFIXES = ['redundancy:'] as const;
export const REDUNDANCY_CONTROLLER_KINDS = [REDUNDANCY_KIND.controller] as const;

export const REDUNDANCY_WORKFLOWS = { controller: 'redundancyWorkflow' } as const;
