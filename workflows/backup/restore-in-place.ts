// restore:<set>:<id>:<host>:in-place — restores a backup back into the paths it was taken from.
// Each source directory is extracted into a staging directory beside itself (only the archive's
// entries below it; every entry is still read and checked against the manifest), a source file
// into a staging file beside itself, and only when every source is staged are they swapped in,
// one atomic rename pair each, the previous content kept aside. A failure or a cancel before the
// swaps removes everything staged: no source is touched unless all of them are ready.
import {
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  RestoreInPlaceResult,
  RestoreRequest,
  RestoreResult,
  StagedRestore,
} from '../../src/backup/model/types';
import { sourceSubtree } from '../../src/backup/model/types';
import { innermostCause } from '../../src/core/errors';
import { SA_KEYS } from '../../src/core/search-attributes';
import { restoreSteps } from './activities';

export interface RestoreInPlaceInput extends Omit<RestoreRequest, 'target' | 'subtree' | 'intoSource'> {
  host: string;
  /** The backup's source paths (from its manifest): each is a target. */
  sources: string[];
}

export async function restoreInPlaceWorkflow(input: RestoreInPlaceInput): Promise<RestoreInPlaceResult> {
  const started = Date.now();
  const startedAt = input.startedAt ?? workflowInfo().startTime.toISOString();
  const { backupRestoreExtract, backupRestoreSwap, backupRestoreAbandon } = restoreSteps(input.host);
  const state = (s: string, details: string): void => {
    upsertSearchAttributes([{ key: SA_KEYS.state, value: s }]);
    setCurrentDetails(details);
  };
  const { sources, host: _host, ...base } = input;
  const reqs: RestoreRequest[] = sources.map((src) => ({
    ...base,
    startedAt,
    target: src,
    subtree: sourceSubtree(src),
    intoSource: true,
  }));
  const abandonAll = async (): Promise<void> => {
    for (const r of reqs)
      await CancellationScope.nonCancellable(() => backupRestoreAbandon(r)).catch(() => undefined);
  };

  const staged: StagedRestore[] = [];
  try {
    for (const r of reqs) {
      state(
        'extracting',
        `restoring backup **${input.id}** of ${input.set} in place on ${input.host}: staging ${r.target} (${staged.length + 1} of ${reqs.length})`,
      );
      staged.push(await backupRestoreExtract(r));
    }
    if (CancellationScope.current().consideredCancelled) await CancellationScope.current().cancelRequested;
  } catch (err) {
    await abandonAll();
    state(
      isCancellation(err) ? 'cancelled' : 'failed',
      `${isCancellation(err) ? 'cancelled' : 'failed'} before any swap: ${sources.join(', ')} untouched, staging directories removed`,
    );
    throw err;
  }

  // The commit point: every source is staged. Each swap runs to its end.
  const restored: RestoreResult[] = [];
  try {
    for (let i = 0; i < reqs.length; i++) {
      state('swapping', `swapping ${reqs[i]!.target} (${i + 1} of ${reqs.length})`);
      restored.push(
        await CancellationScope.nonCancellable(() =>
          backupRestoreSwap({ req: reqs[i]!, staged: staged[i]! }),
        ),
      );
    }
  } catch (err) {
    await abandonAll();
    const cause = innermostCause(err);
    state(
      'failed',
      `swapped ${restored.map((r) => r.target).join(', ') || 'nothing'}; the swap of ${reqs[restored.length]!.target} failed: ${cause.message}`,
    );
    throw err;
  }
  state(
    'done',
    `restored in place: ${restored.map((r) => `${r.target}${r.previous ? ` (previous content in ${r.previous})` : ''}`).join(', ')}`,
  );
  return { set: input.set, id: input.id, host: input.host, restored, durationMs: Date.now() - started };
}
