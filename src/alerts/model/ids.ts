// IDs, kinds and workflow type names of the alerts capability. Pure.
import { EVENT_SINK_ID } from '../../core/names';

export const ALERTS_KIND = {
  manager: 'alerts',
  notifier: 'notify',
  admin: 'alerts-admin',
} as const;

export const ALERTS_IDS = {
  /** The one controller that evaluates rules and routes, groups and silences alerts. */
  manager: (): string => EVENT_SINK_ID,
  /** One delivery controller per receiver. */
  notifier: (receiver: string): string => `notify:${receiver}`,
};

export const ALERTS_OWNED_ID_PREFIXES = ['alerts:', 'notify:'] as const;
export const ALERTS_CONTROLLER_KINDS = [ALERTS_KIND.manager, ALERTS_KIND.notifier] as const;

export const ALERTS_WORKFLOWS = {
  manager: 'alertsManagerWorkflow',
  notifier: 'notifierWorkflow',
} as const;

/** Label every alert carries: the metric its rule watches (inhibition matches on it). */
export const METRIC_LABEL = 'ha_metric';
