// Validation of what people ask a service controller (restart, scale, pause): the same JSON
// comes from hactl (updates, refused with this reason) and from `temporal workflow signal`.
import type { Instance } from './types';

export interface RestartRequest {
  /** Only the instances on this host; none: every instance, one after another. */
  host?: string;
  by: string;
}

export interface ScaleRequest {
  instances: number;
  by: string;
}

export interface PauseRequest {
  paused: boolean;
  by: string;
  reason?: string;
}

export const MAX_INSTANCES = 1000;

const str = (v: unknown): v is string => typeof v === 'string';

export function checkScale(r: ScaleRequest): string | null {
  if (!r || typeof r !== 'object') return 'a scale request is { instances, by }';
  if (!Number.isInteger(r.instances) || r.instances < 0 || r.instances > MAX_INSTANCES)
    return `instances must be a whole number from 0 to ${MAX_INSTANCES}, got ${JSON.stringify(r.instances)}`;
  if (!str(r.by)) return 'by (who asks) must be a string';
  return null;
}

export function checkRestart(r: RestartRequest, instances: readonly Instance[]): string | null {
  if (!r || typeof r !== 'object') return 'a restart request is { host?, by }';
  if (!str(r.by)) return 'by (who asks) must be a string';
  if (r.host !== undefined) {
    if (!str(r.host)) return 'host must be a string';
    if (!instances.some((i) => i.host === r.host))
      return `no instance on host ${r.host} (instances are on: ${[...new Set(instances.map((i) => i.host))].join(', ') || 'none'})`;
  } else if (!instances.length) return 'there is no instance to restart';
  return null;
}

export function checkPause(r: PauseRequest): string | null {
  if (!r || typeof r !== 'object' || typeof r.paused !== 'boolean')
    return 'a pause request is { paused: true|false, by }';
  if (!str(r.by)) return 'by (who asks) must be a string';
  if (r.reason !== undefined && !str(r.reason)) return 'reason must be a string';
  return null;
}
