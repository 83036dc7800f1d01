// Typed client operations for health: a snapshot now, and the state of one host.
import type { Client } from '@temporalio/client';
import { SHARED_TASK_QUEUE } from '../core/names';
import { oneOffIdTail } from '../platform/temporal/one-off-id';
import { searchAttributePairs } from '../core/search-attributes';
import type { healthSnapshotWorkflow } from '../../workflows/health/health-snapshot';
import { monitorStateQuery } from '../../workflows/health/messages';
import { HEALTH_IDS, HEALTH_KIND, HEALTH_WORKFLOWS } from './model/ids';
import type { HealthSnapshotInput, HealthSnapshotResult, MonitorState } from './model/types';

/** Takes a health snapshot of the given hosts now and waits for the result. */
export async function runHealthSnapshot(
  client: Client,
  input: HealthSnapshotInput,
): Promise<HealthSnapshotResult> {
  return client.workflow.execute<typeof healthSnapshotWorkflow>(HEALTH_WORKFLOWS.healthSnapshot, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId: `${HEALTH_IDS.healthWorkflow()}-adhoc-${oneOffIdTail()}`,
    args: [input],
    typedSearchAttributes: searchAttributePairs(HEALTH_KIND.health, 'adhoc'),
  });
}

/** The latest state and snapshot of one host, from its monitor:<host> controller. */
export async function hostState(client: Client, host: string): Promise<MonitorState> {
  return client.workflow.getHandle(HEALTH_IDS.monitor(host)).query(monitorStateQuery);
}
