// Per step type: how long an attempt may take unless the step says, and what a drill does with
// it unless the step says. Pure.
import type { StepAction, StepType } from './types';

/** Every step type, in the order the config reference lists them. */
export const STEP_TYPES: readonly StepType[] = [
  'command',
  'http',
  'restore',
  'backup',
  'verify-backup',
  'failover',
  'service',
  'health',
  'wait',
  'approval',
  'notify',
];

const MIN = 60_000;

/** Default per-attempt timeout. */
export function defaultStepTimeoutMs(a: StepAction): number {
  switch (a.type) {
    case 'command':
      return a.command.timeoutMs + 10_000;
    case 'http':
      return a.http.timeoutMs + 10_000;
    case 'restore':
    case 'backup':
      return 24 * 60 * MIN;
    case 'verify-backup':
      return 60 * MIN;
    case 'failover':
      return 5 * MIN;
    case 'service':
      return a.waitTimeoutMs + MIN;
    case 'health':
      return 2 * MIN;
    case 'wait':
      return a.durationMs !== null ? a.durationMs + MIN : 60 * MIN;
    case 'approval':
    case 'notify':
      return MIN;
  }
}

/**
 * What a drill does with a step the config says nothing about: steps that only read, wait, ask
 * or tell run; a restore runs into a scratch directory; steps that change production (commands,
 * HTTP calls, backups, services, failovers) are skipped unless the step says `drill: run`.
 */
export function defaultDrill(type: StepType): 'run' | 'skip' {
  switch (type) {
    case 'restore':
    case 'verify-backup':
    case 'health':
    case 'wait':
    case 'approval':
    case 'notify':
      return 'run';
    case 'command':
    case 'http':
    case 'backup':
    case 'service':
    case 'failover':
      return 'skip';
  }
}
