// Failure types of the failover capability.
import { CORE_FAILURES } from '../../core/errors';

export const FAILOVER_FAILURES = {
  ...CORE_FAILURES,
  /** A fence, promote, demote or repoint command failed. */
  actionFailed: 'FailoverActionFailed',
  /** The promoted node did not say primary in time. */
  verifyFailed: 'FailoverVerifyFailed',
  /** A request (switchover, forced failover) that is not valid. */
  invalidRequest: 'InvalidRequest',
} as const;

export const FAILOVER_NON_RETRYABLE: readonly string[] = [
  FAILOVER_FAILURES.commandNotFound,
  FAILOVER_FAILURES.actionFailed,
  FAILOVER_FAILURES.verifyFailed,
];
export const FAILOVER_BAD_INPUT: readonly string[] = [FAILOVER_FAILURES.invalidRequest];
