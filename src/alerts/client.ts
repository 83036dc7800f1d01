// Typed client operations for alerts: list, acknowledge, silence, and report an event.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { BadInput, innermostCause, OperationFailed } from '../core/errors';
import { EVENT_SINK_ID, eventSignal } from '../core/events';
import type { HaEvent } from '../core/events';
import {
  ackUpdate,
  addSilenceUpdate,
  alertsQuery,
  expireSilenceUpdate,
  notifierQuery,
} from '../../workflows/alerts/messages';
import type { ManagerView, NotifierView, SilenceRequest } from '../../workflows/alerts/messages';
import { ALERTS_IDS } from './model/ids';
import { checkEvent } from './model/requests';
import type { Ack, Silence } from './model/types';

/** No alerts manager runs in this namespace (exit 1). */
export class AlertsNotConfigured extends OperationFailed {}

/** The manager refused a silence or an ack; the message says why (exit 2). */
export class AlertsRequestRefused extends BadInput {}

async function manager<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new AlertsNotConfigured(
        `no ${ALERTS_IDS.manager()} workflow: add an "alerts:" section to the config and run hactl apply`,
      );
    }
    if (err instanceof WorkflowUpdateFailedError) {
      throw new AlertsRequestRefused(innermostCause(err).message);
    }
    throw err;
  }
}

/** Every alert (firing, pending, recently resolved) and every silence. */
export async function listAlerts(client: Client): Promise<ManagerView> {
  return manager(() => client.workflow.getHandle(ALERTS_IDS.manager()).query(alertsQuery));
}

export async function addSilence(client: Client, req: SilenceRequest): Promise<Silence> {
  return manager(() =>
    client.workflow.getHandle(ALERTS_IDS.manager()).executeUpdate(addSilenceUpdate, { args: [req] }),
  );
}

export async function expireSilence(client: Client, id: string, by: string): Promise<Silence> {
  return manager(() =>
    client.workflow
      .getHandle(ALERTS_IDS.manager())
      .executeUpdate(expireSilenceUpdate, { args: [{ id, by }] }),
  );
}

/** Stops repeat notifications of a firing alert until it resolves. */
export async function ackAlert(
  client: Client,
  fingerprint: string,
  by: string,
  comment: string,
): Promise<Ack> {
  return manager(() =>
    client.workflow
      .getHandle(ALERTS_IDS.manager())
      .executeUpdate(ackUpdate, { args: [{ fingerprint, by, comment }] }),
  );
}

/** Reports a one-off event (labels at least `alertname`), routed and delivered like an alert. */
/** Reports an event (routed like an alert, told once). A malformed one is refused here. */
export async function sendEvent(client: Client, event: HaEvent): Promise<void> {
  const why = checkEvent(event);
  if (why) throw new BadInput(`event refused: ${why}`);
  return manager(() => client.workflow.getHandle(EVENT_SINK_ID).signal(eventSignal, event));
}

export async function notifierState(client: Client, receiver: string): Promise<NotifierView> {
  return client.workflow.getHandle(ALERTS_IDS.notifier(receiver)).query(notifierQuery);
}
