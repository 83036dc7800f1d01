// For any capability's workflows: report an event (a failover, a service moved, a DR step) to
// the fleet's event sink, which routes it like an alert. Never fails the caller: without an
// alerts configuration there is no sink, and the event stays in this workflow's history.
import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { EVENT_SINK_ID, eventSignal } from '../../src/core/events';
import type { HaEvent } from '../../src/core/events';

export async function reportEvent(event: HaEvent): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(EVENT_SINK_ID).signal(eventSignal, event);
    return true;
  } catch (err) {
    log.info('no event sink (alerts not configured); event kept in history only', {
      event,
      error: (err as Error).message,
    });
    return false;
  }
}
