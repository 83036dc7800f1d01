// Failure types of the DR capability.
import { CORE_FAILURES } from '../../core/errors';

export const DR_FAILURES = {
  ...CORE_FAILURES,
  /** A step's check (HTTP status, body, a probe, a resource) said no; retrying may help. */
  stepFailed: 'DrStepFailed',
  /** A step that cannot work as configured (unknown set, group, service): retrying cannot help. */
  stepInvalid: 'DrStepInvalid',
  /** A decision (approve, skip, ...) that is not valid now. */
  invalidRequest: 'InvalidRequest',
} as const;

export const DR_NON_RETRYABLE: readonly string[] = [DR_FAILURES.commandNotFound, DR_FAILURES.stepInvalid];
export const DR_BAD_INPUT: readonly string[] = [DR_FAILURES.invalidRequest];
