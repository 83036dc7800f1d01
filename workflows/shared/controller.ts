// Shared by every singleton controller workflow that `hactl apply` keeps running.
import { patched, setHandler, upsertMemo } from '@temporalio/workflow';
import { reconfigureSignal } from '../../src/core/controller';
import { MEMO } from '../../src/core/names';

export { reconfigureSignal };

/**
 * Installs the reconfigure handler: the new input replaces the old one, and the memo records
 * the config hash so that the next `hactl apply` sees the controller as up to date.
 */
export function onReconfigure<I>(apply: (input: I) => void): void {
  setHandler(reconfigureSignal, (update) => {
    apply(update.input as I);
    upsertMemo({ [MEMO.configHash]: update.configHash });
  });
}

/** Patch: controllers keep their view in the memo (runs from before it have none). */
export const PUBLISH_VIEW_PATCH = 'publish-view-memo';

/**
 * A view longer than this (as JSON) is not kept: the memo is cleared and status asks the query.
 * The server terminates a run whose memo passes its limit (2 MiB by default); a host snapshot
 * is a few KiB.
 */
export const VIEW_MAX_CHARS = 64 * 1024;

/**
 * A function that keeps `view` (what the controller's state query answers) in the memo, written
 * only when it changed since this run wrote it last: one memo event per change, none while
 * nothing changes. What counts as a change is `key` when given (a monitor: up/down and since),
 * else the whole view. `hactl status` reads a whole fleet's views with one listing instead of a
 * query to each controller, and still shows them while no workflow worker runs; the Web UI shows
 * the view on the workflow's page.
 */
export function viewPublisher(): (view: unknown, key?: string) => void {
  let lastKey: string | undefined;
  let cleared = false; // the memo holds no view: the last one was too long
  return (view, key) => {
    const json = key === undefined ? JSON.stringify(view) : undefined;
    const next = key ?? json!;
    if (next === lastKey) return;
    const tooLong = (json ?? JSON.stringify(view)).length > VIEW_MAX_CHARS;
    const nothingToWrite = tooLong && cleared;
    if (!nothingToWrite && !patched(PUBLISH_VIEW_PATCH)) return;
    lastKey = next;
    if (nothingToWrite) return;
    cleared = tooLong;
    upsertMemo({ [MEMO.view]: tooLong ? null : view });
  };
}
