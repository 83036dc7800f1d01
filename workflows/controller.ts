// Shared by every singleton controller workflow that `hactl apply` keeps running.
import { defineSignal, setHandler, upsertMemo } from '@temporalio/workflow';
import { MEMO } from '../src/common/constants';

export interface ControllerUpdate<I> {
  input: I;
  configHash: string;
}

/** Sent by `hactl apply` when the config behind a running controller changed. */
export const reconfigureSignal = defineSignal<[ControllerUpdate<unknown>]>('reconfigure');

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
