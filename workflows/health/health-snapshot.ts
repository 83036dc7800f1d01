// health:snapshots — started by its Schedule. Fans out one collection activity per host, each
// routed to that host's own queue, and reports every result to the host's monitor:<host>.
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { HealthActivities } from '../../activities/health';
import { hostTaskQueue } from '../../src/core/names';
import { HEALTH_IDS } from '../../src/health/model/ids';
import { HEALTH_FAILURES } from '../../src/health/model/failures';
import type { HealthSnapshotInput, HealthSnapshotResult, HostReport } from '../../src/health/model/types';
import { hostReportSignal } from './messages';

function describeFailure(err: unknown): { reason: 'timeout' | 'error'; error: string } {
  // ActivityFailure wraps the real cause; a TimeoutFailure there means nobody picked it up.
  const cause = (err as { cause?: { name?: string; message?: string; timeoutType?: unknown } }).cause;
  if (cause?.name === 'TimeoutFailure')
    return { reason: 'timeout', error: 'no answer from the host worker in time' };
  return { reason: 'error', error: cause?.message ?? (err as Error).message ?? String(err) };
}

export async function healthSnapshotWorkflow(input: HealthSnapshotInput): Promise<HealthSnapshotResult> {
  if (!Array.isArray(input?.hosts))
    throw ApplicationFailure.nonRetryable(
      'input.hosts must be a list of host names',
      HEALTH_FAILURES.badInput,
    );
  const startedAt = new Date(workflowInfo().startTime).toISOString();
  setCurrentDetails(`collecting from ${input.hosts.length} host(s)`);

  const reports = await Promise.all(
    input.hosts.map(async (host): Promise<HostReport> => {
      // One bounded attempt budget per host: a dead worker is reported down, not waited on.
      const { collectHostHealth } = proxyActivities<HealthActivities>({
        taskQueue: hostTaskQueue(host),
        scheduleToCloseTimeout: input.timeoutMs,
        retry: { initialInterval: '500ms', maximumAttempts: 3, backoffCoefficient: 2 },
      });
      try {
        const snapshot = await collectHostHealth();
        return { host, ok: true, at: snapshot.collectedAt, snapshot };
      } catch (err) {
        return { host, ok: false, at: new Date().toISOString(), ...describeFailure(err) };
      }
    }),
  );

  await Promise.all(
    reports.map(async (report) => {
      try {
        await getExternalWorkflowHandle(HEALTH_IDS.monitor(report.host)).signal(hostReportSignal, report);
      } catch (err) {
        // The monitor is created by `hactl apply`; without it the report is still in our result.
        log.warn('could not signal host monitor', { host: report.host, error: (err as Error).message });
      }
    }),
  );

  const up = reports.filter((r) => r.ok).map((r) => r.host);
  const down = reports.filter((r) => !r.ok).map((r) => r.host);
  setCurrentDetails(`up: ${up.join(', ') || '-'}; down: ${down.join(', ') || '-'}`);
  return { startedAt, reports, up, down };
}
