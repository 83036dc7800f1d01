// health:snapshots — started by its Schedule. Fans out one collection activity per host, each
// routed to that host's own queue; each reports its result to the host's monitor:<host>, and
// the workflow reports the hosts that did not answer.
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  patched,
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

/** Patch: the hosts report to their monitors themselves. */
const REPORT_DIRECT = 'health-reports-direct';

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

  // Each host's worker reports to its monitor itself (all at once); the workflow tells the
  // monitors of the hosts that did not answer, and any report that did not get through.
  const direct = patched(REPORT_DIRECT);
  const reports = await Promise.all(
    input.hosts.map(async (host): Promise<{ report: HostReport; reported: boolean }> => {
      // One bounded attempt budget per host: a dead worker is reported down, not waited on.
      const { collectHostHealth, collectAndReport } = proxyActivities<HealthActivities>({
        taskQueue: hostTaskQueue(host),
        scheduleToCloseTimeout: input.timeoutMs,
        retry: { initialInterval: '500ms', maximumAttempts: 3, backoffCoefficient: 2 },
      });
      try {
        if (direct) {
          try {
            const r = await collectAndReport({ monitor: HEALTH_IDS.monitor(host) });
            return {
              report: { host, ok: true, at: r.snapshot.collectedAt, snapshot: r.snapshot },
              reported: r.reported,
            };
          } catch (err) {
            // A worker of the release before (during an upgrade) has only the plain collection.
            if ((err as { cause?: { type?: string } }).cause?.type !== 'NotFoundError') throw err;
          }
        }
        const snapshot = await collectHostHealth();
        return { report: { host, ok: true, at: snapshot.collectedAt, snapshot }, reported: false };
      } catch (err) {
        return {
          report: { host, ok: false, at: new Date().toISOString(), ...describeFailure(err) },
          reported: false,
        };
      }
    }),
  );

  await Promise.all(
    reports
      .filter((r) => !r.reported)
      .map(async ({ report }) => {
        try {
          await getExternalWorkflowHandle(HEALTH_IDS.monitor(report.host)).signal(hostReportSignal, report);
        } catch (err) {
          // The monitor is created by `hactl apply`; without it the report is still in our result.
          log.warn('could not signal host monitor', { host: report.host, error: (err as Error).message });
        }
      }),
  );

  const up = reports.filter((r) => r.report.ok).map((r) => r.report.host);
  const down = reports.filter((r) => !r.report.ok).map((r) => r.report.host);
  setCurrentDetails(`up: ${up.join(', ') || '-'}; down: ${down.join(', ') || '-'}`);
  return { startedAt, reports: reports.map((r) => r.report), up, down };
}
