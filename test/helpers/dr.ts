// DR run and step views for the pure tests: every field filled, the ones a case names changed.
import type { RunView, StepView } from '../../src/dr/model/types';

export function stepOf(name: string, extra: Partial<StepView> = {}): StepView {
  return {
    name,
    group: 'g',
    type: 'command',
    state: 'not-started',
    attempts: 0,
    startedAt: null,
    endedAt: null,
    targetMs: null,
    critical: true,
    detail: '',
    output: '',
    decisions: [],
    approval: null,
    asking: false,
    compensation: null,
    backupAt: null,
    drill: null,
    ...extra,
  };
}

export function runOf(steps: StepView[], extra: Partial<RunView> = {}): RunView {
  return {
    plan: 'orders',
    run: 'r1',
    workflowId: 'dr:orders:r1',
    drill: false,
    startedBy: 'zed',
    startedAt: '2026-11-27T10:00:00.000Z',
    incidentAt: '2026-11-27T09:58:00.000Z',
    endedAt: null,
    phase: 'running',
    paused: false,
    steps,
    log: [],
    rtoMs: 60_000,
    rpoMs: 3_600_000,
    cleanup: [],
    ...extra,
  };
}
