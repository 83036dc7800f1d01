// Typed client operations for services: their state and history, and what people ask of them
// (restart, scale, pause, resume).
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { BadInput, innermostCause, OperationFailed } from '../core/errors';
import { SA } from '../core/search-attribute-names';
import {
  pauseUpdate,
  restartUpdate,
  scaleUpdate,
  serviceHistoryQuery,
  serviceQuery,
} from '../../workflows/redundancy/messages';
import { REDUNDANCY_IDS, REDUNDANCY_KIND } from './model/ids';
import type { HistoryEntry, ServiceView } from './model/types';

/** No controller runs for that service (exit 1). */
export class ServiceNotFound extends OperationFailed {}

/** The controller refused a request; the message says why (exit 2). */
export class ServiceRequestRefused extends BadInput {}

async function call<T>(service: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new ServiceNotFound(
        `no service "${service}" (no ${REDUNDANCY_IDS.controller(service)} workflow): add it under "services:" in the config and run hactl apply`,
      );
    }
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ServiceRequestRefused(innermostCause(err).message);
    }
    throw err;
  }
}

const handle = (client: Client, service: string) =>
  client.workflow.getHandle(REDUNDANCY_IDS.controller(service));

/** Names of the services whose controllers run in this namespace. */
export async function serviceNames(client: Client): Promise<string[]> {
  const names: string[] = [];
  for await (const w of client.workflow.list({
    query: `${SA.kind} = '${REDUNDANCY_KIND.controller}' AND ExecutionStatus = 'Running'`,
  })) {
    names.push(w.workflowId.slice(REDUNDANCY_IDS.controller('').length));
  }
  return [...new Set(names)].sort();
}

export async function serviceState(client: Client, service: string): Promise<ServiceView> {
  return call(service, () => handle(client, service).query(serviceQuery));
}

/** Every service (or these), in name order. */
export async function listServices(client: Client, names?: readonly string[]): Promise<ServiceView[]> {
  const list = names ?? (await serviceNames(client));
  return Promise.all(list.map((n) => serviceState(client, n)));
}

export async function serviceHistory(client: Client, service: string): Promise<HistoryEntry[]> {
  return call(service, () => handle(client, service).query(serviceHistoryQuery));
}

/** Restarts the instances (on one host, or all, one at a time). */
export async function restartService(
  client: Client,
  service: string,
  by: string,
  host?: string,
): Promise<string> {
  return call(service, () =>
    handle(client, service).executeUpdate(restartUpdate, {
      args: [{ by, ...(host !== undefined ? { host } : {}) }],
    }),
  );
}

/** Wants `instances` instances until the next `hactl apply`, which restores the config's value. */
export async function scaleService(
  client: Client,
  service: string,
  instances: number,
  by: string,
): Promise<string> {
  return call(service, () =>
    handle(client, service).executeUpdate(scaleUpdate, { args: [{ instances, by }] }),
  );
}

/** Maintenance: probes go on, no action is taken until resumed. */
export async function pauseService(
  client: Client,
  service: string,
  paused: boolean,
  by: string,
  reason?: string,
): Promise<string> {
  return call(service, () =>
    handle(client, service).executeUpdate(pauseUpdate, {
      args: [{ paused, by, ...(reason !== undefined ? { reason } : {}) }],
    }),
  );
}
