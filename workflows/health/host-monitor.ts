// monitor:<host> — one long-running controller per host. It receives the health reports of
// every snapshot run, keeps the latest, and exposes up/down as the HaState search attribute so
// that the Web UI can filter on `HaKind="monitor" AND HaState="down"`.
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SampleBatch } from '../../src/core/metrics';
import { samplesSignal } from '../../src/core/metrics';
import { SA_KEYS } from '../../src/core/search-attributes';
import { reportSamples } from '../../src/health/model/metrics';
import { applyReport, initialMonitorState } from '../../src/health/model/monitor-state';
import type { MonitorState } from '../../src/health/model/types';
import { onReconfigure, viewPublisher } from '../shared/controller';
import { hostReportSignal, monitorStateQuery, subscribeSignal } from './messages';

export interface HostMonitorInput {
  host: string;
  /** Carried across continue-as-new. */
  state?: MonitorState;
  /** Reports per run before continuing as new; default MAX_REPORTS_PER_RUN (tests use fewer). */
  maxReportsPerRun?: number;
  /** Samples the previous run had not forwarded yet when it continued as new. */
  pending?: SampleBatch[];
}

export { hostReportSignal, monitorStateQuery };

/** Keeps histories short; each report is one signal event. */
export const MAX_REPORTS_PER_RUN = 500;

export async function hostMonitorWorkflow(input: HostMonitorInput): Promise<void> {
  const state: MonitorState = input.state ?? initialMonitorState(input.host);
  let reportsThisRun = 0;
  const outbox: SampleBatch[] = [...(input.pending ?? [])];
  let pending = outbox.length;
  const subscribers = new Set(state.subscribers ?? []);

  /** Forwards the reports' samples to every subscriber; one that is gone is dropped. */
  const forward = async (): Promise<void> => {
    const batches = outbox.splice(0);
    for (const id of [...subscribers]) {
      try {
        const handle = getExternalWorkflowHandle(id);
        for (const b of batches) await handle.signal(samplesSignal, b);
      } catch (err) {
        log.warn('dropping a subscriber that cannot be signalled', { id, error: (err as Error).message });
        subscribers.delete(id);
      }
    }
    state.subscribers = [...subscribers];
  };

  const describe = (): void => {
    const snap = state.lastSnapshotAt ? `last snapshot ${state.lastSnapshotAt}` : 'no snapshot yet';
    const err = state.state === 'down' && state.lastError ? ` — ${state.lastError}` : '';
    setCurrentDetails(`**${state.host}** is ${state.state} since ${state.since ?? '-'}; ${snap}${err}`);
  };

  // The memo keeps the state as of its last change (up/down, since, the error, the snapshot then):
  // `hactl status` lists every monitor at once and takes fresher snapshots from the latest
  // snapshot run's result. Not at every report: fifty memo writes per fan-out slow it down.
  const publish = viewPublisher();
  const publishOnChange = (): void => publish(state, `${state.state}@${state.since}`);
  setHandler(monitorStateQuery, () => state);
  onReconfigure<HostMonitorInput>(() => undefined); // only the host is configured, and it is in the ID
  setHandler(subscribeSignal, (sub) => {
    if (!subscribers.has(sub.workflowId)) {
      subscribers.add(sub.workflowId);
      state.subscribers = [...subscribers];
    }
  });
  setHandler(hostReportSignal, (report) => {
    if (subscribers.size) outbox.push(reportSamples(report));
    reportsThisRun++;
    pending++;
    state.reports++;
    if (applyReport(state, report)) upsertSearchAttributes([{ key: SA_KEYS.state, value: state.state }]);
  });

  upsertSearchAttributes([{ key: SA_KEYS.state, value: state.state }]);
  describe();
  publishOnChange();
  for (;;) {
    await condition(() => pending > 0);
    pending = 0;
    describe();
    publishOnChange();
    if (outbox.length) await forward();
    if (
      reportsThisRun >= (input.maxReportsPerRun ?? MAX_REPORTS_PER_RUN) ||
      workflowInfo().continueAsNewSuggested
    ) {
      // Reports that came in while samples were being forwarded go to the next run, which
      // forwards them first: neither lost nor holding this run open.
      await continueAsNew<typeof hostMonitorWorkflow>({
        host: input.host,
        state,
        ...(input.maxReportsPerRun ? { maxReportsPerRun: input.maxReportsPerRun } : {}),
        ...(outbox.length ? { pending: outbox } : {}),
      });
    }
  }
}
