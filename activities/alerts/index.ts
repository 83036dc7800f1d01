// Alerts activities: delivery of notifications (HTTP and logs from any worker; files and
// commands on the receiver's host) and the fleet metrics that the manager reads.
import { Context } from '@temporalio/activity';
import type { Notification, ReceiverSpec } from '../../src/alerts/model/types';
import type { SampleBatch } from '../../src/core/metrics';
import type { ActivityModule } from '../../src/platform/capability';
import { withHeartbeats } from '../shared/heartbeat';
import { deliver } from './deliver';
import { collectFleet } from './fleet';

interface DeliverInput {
  receiver: ReceiverSpec;
  notification: Notification;
}

/** The `log` receiver prints on the worker's standard output, whatever the worker's log level. */
function printLine(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

export function createAlertsSharedActivities(deps: { env: NodeJS.ProcessEnv; host?: string }) {
  return {
    /** Webhook, Alertmanager and log receivers: from any worker. */
    async alertsDeliver(input: DeliverInput): Promise<void> {
      await deliver(input.receiver, input.notification, {
        host: deps.host ?? 'any',
        env: deps.env,
        log: printLine,
      });
    },
    /** Recovery points and failed schedules, as samples for the rules. */
    async alertsCollectFleet(): Promise<SampleBatch[]> {
      return collectFleet(Context.current().client);
    },
  };
}

export function createAlertsHostActivities(deps: { host: string; env: NodeJS.ProcessEnv }) {
  return {
    /** File and command receivers: on the host the receiver names. */
    async alertsDeliverOnHost(input: DeliverInput): Promise<void> {
      await withHeartbeats(() => deliver(input.receiver, input.notification, { ...deps, log: printLine }));
    },
  };
}

export type AlertsActivities = ReturnType<typeof createAlertsSharedActivities> &
  ReturnType<typeof createAlertsHostActivities>;

export const activityModule: ActivityModule = {
  shared: (deps) => createAlertsSharedActivities(deps),
  host: (deps) => ({ activities: createAlertsHostActivities(deps) }),
};
