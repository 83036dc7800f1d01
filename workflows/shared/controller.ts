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
 * only when it differs from what this run wrote last: one memo event per change, none while
 * nothing changes. `hactl status` reads a whole fleet's views with one listing instead of a
 * query to each controller, and still shows them while no workflow worker runs; the Web UI shows
 * the view on the workflow's page.
 */
export function viewPublisher(): (view: unknown) => void {
  let last: string | null | undefined;
  return (view) => {
    const json = JSON.stringify(view);
    const next = json.length > VIEW_MAX_CHARS ? null : json;
    if (next === last || !patched(PUBLISH_VIEW_PATCH)) return;
    last = next;
    upsertMemo({ [MEMO.view]: next === null ? null : view });
  };
}
