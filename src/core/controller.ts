// The one message every long-running controller understands: `hactl apply` sends it when the
// config behind a running controller changed. Defined once, here, for both sides.
import { defineSignal } from '@temporalio/workflow';

export interface ControllerUpdate<I> {
  input: I;
  configHash: string;
}

export const reconfigureSignal = defineSignal<[ControllerUpdate<unknown>]>('reconfigure');
