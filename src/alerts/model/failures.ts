// Failure types of the alerts capability.
import { CORE_FAILURES } from '../../core/errors';

export const ALERTS_FAILURES = {
  ...CORE_FAILURES,
  /** The receiver refused the notification in a way retrying cannot fix (HTTP 4xx but 408/429). */
  receiverRejected: 'ReceiverRejected',
  /** A human decision (silence, ack) that is not valid. */
  invalidRequest: 'InvalidRequest',
} as const;

/**
 * Refusals that no retry can change. A missing secret is not one of them: it is retried (until
 * the receiver's maxAge), so that setting it on the worker lets the notification through.
 */
export const ALERTS_NON_RETRYABLE: readonly string[] = [
  ALERTS_FAILURES.commandNotFound,
  ALERTS_FAILURES.receiverRejected,
];

export const ALERTS_BAD_INPUT: readonly string[] = [ALERTS_FAILURES.invalidRequest];
