// Metric samples in one capability-neutral shape: what a capability measures (health: each
// host's snapshot) and another watches (alerts: rules). Plain JSON; workflow-safe.
import { defineSignal } from '@temporalio/workflow';

export interface MetricSample {
  /** Dotted name, e.g. "fs.used_percent"; the catalogue is in the README. */
  name: string;
  /** What the value is of, beyond the source (mount, iface, core, set, schedule). */
  labels: Record<string, string>;
  value: number;
}

/** Samples taken together: of one host (source) at one time. */
export interface SampleBatch {
  /** The host (or other source) the samples are of. */
  source: string;
  at: string;
  samples: MetricSample[];
}

/** Delivered to subscribers of a source (see health's monitor subscribe signal). */
export const samplesSignal = defineSignal<[SampleBatch]>('samples');

/** A subscription: the workflow that receives samplesSignal. */
export interface Subscription {
  workflowId: string;
}

/**
 * Asks a source (a host's monitor) to send its samples to a workflow. Idempotent; a source
 * drops a subscriber it can no longer signal, so subscribers renew when samples stop.
 */
export const subscribeSignal = defineSignal<[Subscription]>('subscribe');
