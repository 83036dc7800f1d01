// Messages of monitor:<host>, defined once here and imported by the workflow and every client.
// Payloads are plain JSON, so `temporal workflow signal --input '{...}'` works too.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { HostReport, MonitorState } from '../../src/health/model/types';

/** A snapshot run's result for one host. */
export const hostReportSignal = defineSignal<[HostReport]>('hostReport');
/** The latest state and snapshot of the host. */
export const monitorStateQuery = defineQuery<MonitorState>('state');
