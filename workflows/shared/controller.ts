// Shared by every singleton controller workflow that `hactl apply` keeps running.
import { setHandler, upsertMemo } from '@temporalio/workflow';
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
