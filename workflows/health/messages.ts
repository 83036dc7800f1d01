// Messages of monitor:<host>, defined once here and imported by the workflow and every client.
// Payloads are plain JSON, so `temporal workflow signal --input '{...}'` works too.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { subscribeSignal } from '../../src/core/metrics';
import type { HostReport, MonitorState } from '../../src/health/model/types';

/** A snapshot run's result for one host. */
export const hostReportSignal = defineSignal<[HostReport]>('hostReport');
/** The latest state and snapshot of the host. */
export const monitorStateQuery = defineQuery<MonitorState>('state');

/**
 * Subscribes a workflow to this host's metric samples: after every report the monitor signals
 * it `samples` (core/metrics) with the report as samples. Kept across continue-as-new.
 */
export { subscribeSignal };
