// Messages of failover:<group>, defined once here for the workflow and every client. What people
// ask (switchover, forced failover, pause) is an update, refused with a reason, and also a signal
// with the same JSON for `temporal workflow signal`.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ForceRequest, PauseRequest, SwitchoverRequest } from '../../src/failover/model/requests';
import type { FailoverEvent, GroupView } from '../../src/failover/model/types';

export type { ForceRequest, PauseRequest, SwitchoverRequest };

export const groupQuery = defineQuery<GroupView>('group');
export const failoverHistoryQuery = defineQuery<FailoverEvent[]>('history');

export const switchoverUpdate = defineUpdate<string, [SwitchoverRequest]>('switchover');
export const forceFailoverUpdate = defineUpdate<string, [ForceRequest]>('failover');
export const pauseGroupUpdate = defineUpdate<string, [PauseRequest]>('pause');
export const switchoverSignal = defineSignal<[SwitchoverRequest]>('switchover');
export const forceFailoverSignal = defineSignal<[ForceRequest]>('failover');
export const pauseGroupSignal = defineSignal<[PauseRequest]>('pause');
