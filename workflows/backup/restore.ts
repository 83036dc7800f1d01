// restore:<set>:<id>:<host>:<target> — restores one backup into a directory on a chosen host,
// in two steps with a commit point between them:
//   1. extract: guards on real paths, free space, the archive's checksum, extraction into a
//      staging directory checked against the manifest. Cancellable; it never touches the target.
//   2. swap: ordered only when step 1 succeeded and the run is neither cancelled nor
//      terminated; the activity asks the server again right before its renames.
// A cancelled run removes its staging directory; a terminated run's staging directory is
// removed by the next restore, drill or backup on that host.
import {
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RestoreRequest, RestoreResult, StagedRestore } from '../../src/backup/model/types';
import { innermostCause } from '../../src/core/errors';
import { SA_KEYS } from '../../src/core/search-attributes';
import { restoreSteps } from './activities';

export interface RestoreWorkflowInput extends RestoreRequest {
  /** Host whose worker performs the restore (the archive must be readable there). */
  host: string;
}

export type RestoreState = 'extracting' | 'swapping' | 'done' | 'cancelled' | 'failed';

export async function restoreWorkflow(input: RestoreWorkflowInput): Promise<RestoreResult> {
  const req: RestoreRequest = {
    ...input,
    startedAt: input.startedAt ?? workflowInfo().startTime.toISOString(),
  };
  const { backupRestoreExtract, backupRestoreSwap, backupRestoreAbandon } = restoreSteps(input.host);
  const state = (s: RestoreState, details: string): void => {
    upsertSearchAttributes([{ key: SA_KEYS.state, value: s }]);
    setCurrentDetails(details);
  };

  state(
    'extracting',
    `restoring backup **${input.id}** of ${input.set} into ${input.target} on ${input.host}: extracting`,
  );
  let staged: StagedRestore;
  try {
    staged = await backupRestoreExtract(req);
    // A cancel that arrived while the last heartbeat was on its way: stop before the swap.
    if (CancellationScope.current().consideredCancelled) {
      await CancellationScope.current().cancelRequested;
    }
  } catch (err) {
    // Whatever happened, no staging directory stays behind and the target stays as it was.
    await CancellationScope.nonCancellable(() => backupRestoreAbandon(req)).catch(() => undefined);
    if (isCancellation(err)) {
      state(
        'cancelled',
        `cancelled before the swap: ${input.target} was not touched, the staging directory was removed`,
      );
    } else {
      state('failed', `failed before the swap: ${input.target} was not touched`);
    }
    throw err;
  }

  // The commit point. Once ordered, the swap runs to its end even if a cancel arrives now.
  state('swapping', `swapping the restored tree into ${staged.target}`);
  try {
    const r = await CancellationScope.nonCancellable(() => backupRestoreSwap({ req, staged }));
    state(
      'done',
      `restored ${r.files} files (${r.bytes} bytes) into ${r.target}${r.previous ? `; previous content in ${r.previous}` : ''}`,
    );
    return r;
  } catch (err) {
    await CancellationScope.nonCancellable(() => backupRestoreAbandon(req)).catch(() => undefined);
    // The activity's message says what is where (rolled back, or kept for a person to decide).
    const cause = innermostCause(err);
    state('failed', `the swap into ${staged.target} failed: ${cause.message}`);
    throw err;
  }
}
