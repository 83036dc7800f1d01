// Messages of redundancy:<service>, defined once here for the workflow and every client. What
// people ask (restart, scale, pause) is an update, refused with a reason, and also a signal
// with the same JSON for `temporal workflow signal`.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PauseRequest, RestartRequest, ScaleRequest } from '../../src/redundancy/model/requests';
import type { HistoryEntry, ServiceView } from '../../src/redundancy/model/types';

export type { PauseRequest, RestartRequest, ScaleRequest };

export const serviceQuery = defineQuery<ServiceView>('service');
export const serviceHistoryQuery = defineQuery<HistoryEntry[]>('history');

export const restartUpdate = defineUpdate<string, [RestartRequest]>('restart');
export const scaleUpdate = defineUpdate<string, [ScaleRequest]>('scale');
export const pauseUpdate = defineUpdate<string, [PauseRequest]>('pause');
export const restartSignal = defineSignal<[RestartRequest]>('restart');
export const scaleSignal = defineSignal<[ScaleRequest]>('scale');
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
