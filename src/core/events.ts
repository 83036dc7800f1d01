// Events that are not alerts — a failover, a service moved, a DR step waiting for approval —
// go out through the same routes and receivers as alerts. Any capability reports one by
// signalling the fleet's event sink (the alerts capability's manager) with this message;
// without alerts configured there is no sink, and the event is only in the reporter's history.
import { defineSignal } from '@temporalio/workflow';
import { EVENT_SINK_ID } from './names';

export interface HaEvent {
  /** At least `alertname` (what happened) and usually `host`; routes match on these. */
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * An event with this label goes to the receiver it names, before any configured route: how a DR
 * plan reaches its contacts' receivers without a route written for each.
 */
export const ADDRESSED_LABEL = 'ha_receiver';

export const eventSignal = defineSignal<[HaEvent]>('event');

export { EVENT_SINK_ID };
