// What one health report does to a host's state: the monitor applies it to every report, and
// `hactl status` applies the latest snapshot run's report to the state the monitor kept in its
// memo at its last change. Pure.
import type { HostReport, MonitorState } from './types';

/** A monitor's state before its first report. */
export function initialMonitorState(host: string): MonitorState {
  return {
    host,
    state: 'unknown',
    since: null,
    lastReportAt: null,
    lastSnapshotAt: null,
    lastSnapshot: null,
    lastError: null,
    reports: 0,
  };
}

/** Applies `report` to `state` in place; true when the host went up or down with it. */
export function applyReport(state: MonitorState, report: HostReport): boolean {
  state.lastReportAt = report.at;
  if (report.ok) {
    state.lastSnapshot = report.snapshot;
    state.lastSnapshotAt = report.snapshot.collectedAt;
    state.lastError = null;
  } else {
    state.lastError = report.error;
  }
  const next = report.ok ? 'up' : 'down';
  if (next === state.state) return false;
  state.state = next;
  state.since = report.at;
  return true;
}
