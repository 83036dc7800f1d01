// notify:<receiver> — durable delivery to one receiver. Notifications queue in the workflow
// (they survive worker and server restarts) and are delivered one at a time, in order, each
// retried with backoff until the receiver takes it or it is older than the receiver's maxAge.
// Every attempt shows in the Web UI as the delivery activity's attempts and last failure.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertsActivities } from '../../activities/alerts';
import { ALERTS_NON_RETRYABLE } from '../../src/alerts/model/failures';
import type { Notification, ReceiverSpec } from '../../src/alerts/model/types';
import { innermostCause } from '../../src/core/errors';
import { hostTaskQueue } from '../../src/core/names';
import { SA_KEYS } from '../../src/core/search-attributes';
import { onReconfigure } from '../shared/controller';
import { notifierQuery, notifySignal } from './messages';
import type { NotifierView } from './messages';

export interface NotifierState {
  queue: Notification[];
  delivered: number;
  dropped: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
}

export interface NotifierInput {
  receiver: ReceiverSpec;
  state?: NotifierState;
  /** Deliveries per run before continuing as new; default 200. */
  maxPerRun?: number;
}

/** Notifications queued at most; past it the oldest waiting one is dropped (and counted). */
export const MAX_QUEUED = 1000;
/**
 * One delivery activity retries for at most this long; then the workflow starts another for
 * the same notification. Between the two it can continue as new, so that a receiver that is
 * down for a day does not grow one run's history with every notify signal meanwhile.
 */
const DELIVERY_WINDOW_MS = 10 * 60_000;

export async function notifierWorkflow(input: NotifierInput): Promise<void> {
  let receiver = input.receiver;
  const state: NotifierState = input.state ?? {
    queue: [],
    delivered: 0,
    dropped: 0,
    lastDeliveredAt: null,
    lastError: null,
  };
  let thisRun = 0;

  setHandler(notifySignal, (n) => {
    state.queue.push(n);
    if (state.queue.length > MAX_QUEUED) {
      // The head may be in delivery: the oldest one behind it goes.
      const [gone] = state.queue.splice(1, 1);
      state.dropped++;
      state.lastError = `more than ${MAX_QUEUED} notifications queued: dropped #${gone!.seq} (${gone!.groupKey})`;
    }
  });
  setHandler(notifierQuery, (): NotifierView => ({
    receiver: receiver.name,
    queued: state.queue.length,
    delivered: state.delivered,
    dropped: state.dropped,
    lastDeliveredAt: state.lastDeliveredAt,
    lastError: state.lastError,
  }));
  onReconfigure<NotifierInput>((next) => {
    receiver = next.receiver;
  });

  const show = (what: string): void => {
    upsertSearchAttributes([{ key: SA_KEYS.state, value: state.queue.length ? 'delivering' : 'idle' }]);
    setCurrentDetails(
      `**${receiver.name}** (${receiver.type}): ${what}; ${state.delivered} delivered, ${state.dropped} dropped` +
        (state.lastError ? `; last error: ${state.lastError}` : ''),
    );
  };

  show('waiting');
  for (;;) {
    await condition(() => state.queue.length > 0);
    const n = state.queue[0]!;
    const left = receiver.maxAgeMs - (Date.now() - Date.parse(n.createdAt));
    if (left <= 0) {
      state.dropped++;
      state.lastError = `notification ${n.seq} (${n.groupKey}) was older than maxAge and was dropped`;
    } else {
      show(`delivering #${n.seq} ${n.payload.status} (${n.payload.alerts.length} alert(s))`);
      const host = receiver.type === 'file' || receiver.type === 'command' ? receiver.host : null;
      const onHost = host !== null;
      const acts = proxyActivities<AlertsActivities>({
        ...(host !== null ? { taskQueue: hostTaskQueue(host) } : {}),
        scheduleToCloseTimeout: Math.min(left, DELIVERY_WINDOW_MS),
        startToCloseTimeout: ('timeoutMs' in receiver ? receiver.timeoutMs : 30_000) + 5_000,
        retry: {
          initialInterval: '1 second',
          backoffCoefficient: 2,
          maximumInterval: '1 minute',
          nonRetryableErrorTypes: [...ALERTS_NON_RETRYABLE],
        },
      });
      try {
        if (onHost) await acts.alertsDeliverOnHost({ receiver, notification: n });
        else await acts.alertsDeliver({ receiver, notification: n });
        state.delivered++;
        state.lastDeliveredAt = new Date().toISOString();
        state.lastError = null;
      } catch (err) {
        const windowOver =
          err instanceof ActivityFailure &&
          err.cause instanceof TimeoutFailure &&
          receiver.maxAgeMs - (Date.now() - Date.parse(n.createdAt)) > 0;
        state.lastError = `notification ${n.seq}: ${innermostCause(err).message}`;
        if (windowOver) {
          // Still within maxAge: the same notification again, after a chance to continue as new.
          if (workflowInfo().continueAsNewSuggested || thisRun >= (input.maxPerRun ?? 200)) {
            await condition(allHandlersFinished);
            await continueAsNew<typeof notifierWorkflow>({
              receiver,
              state,
              ...(input.maxPerRun ? { maxPerRun: input.maxPerRun } : {}),
            });
          }
          thisRun++;
          continue;
        }
        // Past maxAge, or refused for good: recorded, and the queue moves on.
        state.dropped++;
      }
    }
    state.queue.shift();
    thisRun++;
    show(state.queue.length ? `${state.queue.length} queued` : 'waiting');
    if (thisRun >= (input.maxPerRun ?? 200) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof notifierWorkflow>({
        receiver,
        state,
        ...(input.maxPerRun ? { maxPerRun: input.maxPerRun } : {}),
      });
    }
  }
}
