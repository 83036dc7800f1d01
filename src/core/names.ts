// Names every process must agree on: the product's mark, task queues, memo keys. Imported by
// workflows too, so this module stays free of Node built-ins.

export const PRODUCT = 'ha-orchestrator';

/** Shared queue: workflows and activities that may run on any host. */
export const SHARED_TASK_QUEUE = 'ha-orchestrator';

const HOST_QUEUE_PREFIX = 'ha-host-';

/** Queue served only by the worker of `host`: host-local activities go here. */
export function hostTaskQueue(host: string): string {
  return `${HOST_QUEUE_PREFIX}${host}`;
}

/** Inverse of hostTaskQueue; undefined for queues that are not host queues. */
export function hostFromTaskQueue(taskQueue: string): string | undefined {
  return taskQueue.startsWith(HOST_QUEUE_PREFIX) ? taskQueue.slice(HOST_QUEUE_PREFIX.length) : undefined;
}

/** Host names (and other names used in IDs and queue names). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Memo keys that mark what the reconciler owns and which config produced it. */
export const MEMO = {
  managedBy: 'haManagedBy',
  configHash: 'haConfigHash',
  /** A controller's current view (what its state query answers), kept while it changes. */
  view: 'haView',
} as const;

/** FNV-1a, 32 bits, hex: a short stable tag for long names (pure, no Node crypto here). */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The workflow that receives events of every capability (see core/events.ts). */
export const EVENT_SINK_ID = 'alerts:manager';
