// Failure types of the health capability: its workflows refuse malformed input, nothing else
// of theirs is final (a host that does not answer is reported down, not failed).
import { CORE_FAILURES } from '../../core/errors';

export const HEALTH_FAILURES = { badInput: CORE_FAILURES.badInput } as const;
