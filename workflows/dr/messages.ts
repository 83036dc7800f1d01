// Messages of dr:<plan>:<run>, defined once here for the workflow and every client. Each human
// decision is an update (refused with a reason by its validator) and also a signal with the same
// JSON, so that `temporal workflow signal --name approve --input '{"step":..,"by":..}'` works.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionRequest, DecisionVerb } from '../../src/dr/model/requests';
import type { RunReport } from '../../src/dr/model/report';
import type { RunView } from '../../src/dr/model/types';

export type { DecisionRequest, DecisionVerb };

export const runQuery = defineQuery<RunView>('run');
export const reportQuery = defineQuery<RunReport>('report');

export const decisionUpdates = {
  approve: defineUpdate<string, [DecisionRequest]>('approve'),
  reject: defineUpdate<string, [DecisionRequest]>('reject'),
  abort: defineUpdate<string, [DecisionRequest]>('abort'),
  skip: defineUpdate<string, [DecisionRequest]>('skip'),
  retry: defineUpdate<string, [DecisionRequest]>('retry'),
  pause: defineUpdate<string, [DecisionRequest]>('pause'),
  resume: defineUpdate<string, [DecisionRequest]>('resume'),
} as const satisfies Record<DecisionVerb, unknown>;

export const decisionSignals = {
  approve: defineSignal<[DecisionRequest]>('approve'),
  reject: defineSignal<[DecisionRequest]>('reject'),
  abort: defineSignal<[DecisionRequest]>('abort'),
  skip: defineSignal<[DecisionRequest]>('skip'),
  retry: defineSignal<[DecisionRequest]>('retry'),
  pause: defineSignal<[DecisionRequest]>('pause'),
  resume: defineSignal<[DecisionRequest]>('resume'),
} as const satisfies Record<DecisionVerb, unknown>;
