// Messages of alerts:manager and notify:<receiver>, defined once here for the workflows and
// every client. Human decisions (silences, acks) are updates with validators — refused with a
// reason — and also signals with the same JSON for `temporal workflow signal`.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Ack, Alert, Matcher, Notification, Silence } from '../../src/alerts/model/types';
import { eventSignal } from '../../src/core/events';
import type { HaEvent } from '../../src/core/events';

export interface SilenceRequest {
  matchers: Matcher[];
  /** ISO; default now. */
  startsAt?: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  untilResolved?: boolean;
}

export interface AckRequest {
  fingerprint: string;
  by: string;
  comment: string;
}

export interface ExpireRequest {
  id: string;
  by: string;
}

/** A one-off event from another capability (failover, service, DR step): routed like an alert. */
export type EventRequest = HaEvent;

export interface AlertView extends Alert {
  state: 'firing' | 'resolved' | 'pending';
  flapping: boolean;
  silencedBy: string[];
  inhibitedBy: string[];
  ack: Ack | null;
  updatedAt: string;
}

export interface ManagerView {
  alerts: AlertView[];
  silences: Silence[];
  rules: number;
  series: number;
  notificationsSent: number;
}

export const addSilenceUpdate = defineUpdate<Silence, [SilenceRequest]>('addSilence');
export const expireSilenceUpdate = defineUpdate<Silence, [ExpireRequest]>('expireSilence');
export const ackUpdate = defineUpdate<Ack, [AckRequest]>('ack');
export const addSilenceSignal = defineSignal<[SilenceRequest]>('addSilence');
export const expireSilenceSignal = defineSignal<[ExpireRequest]>('expireSilence');
export const ackSignal = defineSignal<[AckRequest]>('ack');
export { eventSignal };
export const alertsQuery = defineQuery<ManagerView>('alerts');

export interface NotifierView {
  receiver: string;
  queued: number;
  delivered: number;
  dropped: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
}

export const notifySignal = defineSignal<[Notification]>('notify');
export const notifierQuery = defineQuery<NotifierView>('state');
