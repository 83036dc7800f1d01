// Typed client operations for failover groups: their state and history, and what people ask of
// them (switchover, forced failover, pause, resume).
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { BadInput, innermostCause, OperationFailed } from '../core/errors';
import { SA } from '../core/search-attribute-names';
import {
  failoverHistoryQuery,
  forceFailoverUpdate,
  groupQuery,
  pauseGroupUpdate,
  switchoverUpdate,
} from '../../workflows/failover/messages';
import { FAILOVER_IDS, FAILOVER_KIND } from './model/ids';
import type { FailoverEvent, GroupView } from './model/types';

/** No controller runs for that group (exit 1). */
export class GroupNotFound extends OperationFailed {}

/** The controller refused a request; the message says why (exit 2). */
export class FailoverRequestRefused extends BadInput {}

async function call<T>(group: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new GroupNotFound(
        `no failover group "${group}" (no ${FAILOVER_IDS.controller(group)} workflow): add it under "failover:" in the config and run hactl apply`,
      );
    if (err instanceof WorkflowUpdateFailedError) {
      throw new FailoverRequestRefused(innermostCause(err).message);
    }
    throw err;
  }
}

const handle = (client: Client, group: string) => client.workflow.getHandle(FAILOVER_IDS.controller(group));

export async function groupNames(client: Client): Promise<string[]> {
  const names: string[] = [];
  for await (const w of client.workflow.list({
    query: `${SA.kind} = '${FAILOVER_KIND.controller}' AND ExecutionStatus = 'Running'`,
  }))
    names.push(w.workflowId.slice(FAILOVER_IDS.controller('').length));
  return [...new Set(names)].sort();
}

export async function groupState(client: Client, group: string): Promise<GroupView> {
  return call(group, () => handle(client, group).query(groupQuery));
}

export async function listGroups(client: Client, names?: readonly string[]): Promise<GroupView[]> {
  const list = names ?? (await groupNames(client));
  return Promise.all(list.map((n) => groupState(client, n)));
}

export async function failoverHistory(client: Client, group: string): Promise<FailoverEvent[]> {
  return call(group, () => handle(client, group).query(failoverHistoryQuery));
}

/** Planned: demote the primary, promote `to`, verify, repoint (at `at`, or now). */
export async function switchover(
  client: Client,
  group: string,
  to: string,
  by: string,
  at?: string,
): Promise<string> {
  return call(group, () =>
    handle(client, group).executeUpdate(switchoverUpdate, { args: [{ to, by, ...(at ? { at } : {}) }] }),
  );
}

/** Fence the primary (a failed fence does not stop it), promote `to`, verify, repoint. */
export async function forceFailover(client: Client, group: string, to: string, by: string): Promise<string> {
  return call(group, () => handle(client, group).executeUpdate(forceFailoverUpdate, { args: [{ to, by }] }));
}

export async function pauseGroup(
  client: Client,
  group: string,
  paused: boolean,
  by: string,
  reason?: string,
): Promise<string> {
  return call(group, () =>
    handle(client, group).executeUpdate(pauseGroupUpdate, {
      args: [{ paused, by, ...(reason ? { reason } : {}) }],
    }),
  );
}
