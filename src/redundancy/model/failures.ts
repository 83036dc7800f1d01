// Failure types of the redundancy capability.
import { CORE_FAILURES } from '../../core/errors';

export const REDUNDANCY_FAILURES = {
  ...CORE_FAILURES,
  /** A start or stop command failed (the controller retries it with backoff). */
  actionFailed: 'ServiceActionFailed',
  /** A request (scale, restart) that is not valid. */
  invalidRequest: 'InvalidRequest',
} as const;

export const REDUNDANCY_NON_RETRYABLE: readonly string[] = [REDUNDANCY_FAILURES.commandNotFound];
export const REDUNDANCY_BAD_INPUT: readonly string[] = [REDUNDANCY_FAILURES.invalidRequest];
