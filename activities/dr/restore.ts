// A DR restore step: a backup restored into a directory, back into its original paths, or (in
// a drill) into a scratch directory of this host, through the backup capability's client; and
// the removal of a drill's scratch directories.
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { Client, Workflow, WorkflowHandle } from '@temporalio/client';
import type { BackupInfo } from '../../src/backup/model/types';
import { startRestore, startRestoreInPlace } from '../../src/backup/client';
import type { DrSetRef } from '../../src/dr/model/types';
import type { HostActivityDeps } from '../../src/platform/capability';
import { heartbeat } from '../shared/heartbeat';
import { drillScratchDir } from '../shared/host-state';
import { aborted, message, stepFailed, stepInvalid } from './run';
import type { StepOutcome } from './run';

export interface RestoreStepInput {
  set: DrSetRef;
  at: string | null;
  /** A directory on this host; null with `scratch`: the drill's scratch directory. */
  to: string | null;
  scratch: { key: string; step: string } | null;
  workflowId: string;
}

export async function restoreStep(
  client: Client,
  input: RestoreStepInput,
  deps: HostActivityDeps,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  let to = input.to;
  if (input.scratch) {
    to = path.join(drillScratchDir(deps.host, deps.env), input.scratch.key, input.scratch.step);
    mkdirSync(path.dirname(to), { recursive: true });
  }
  const set = input.set.spec.set;
  const at = input.at ? { at: Date.parse(input.at) } : {};
  if (!to)
    return follow(
      { failed: `in-place restore of ${set}`, stopped: `in-place restore of ${set} stopped` },
      () =>
        startRestoreInPlace(client, input.set.spec, {
          ...at,
          host: deps.host,
          protect: input.set.protect,
          keepPrevious: true,
        }),
      (r, backup) =>
        `restored backup ${backup.id} of ${r.set} (${backup.createdAt}) in place: ${r.restored.map((x) => `${x.target} (${x.files} files${x.previous ? `, previous content in ${x.previous}` : ''})`).join('; ')}`,
      signal,
    );
  return follow(
    { failed: `restore of ${set} into ${to}`, stopped: `restore of ${set} stopped` },
    () =>
      startRestore(client, input.set.spec, {
        to,
        ...at,
        host: deps.host,
        protect: input.set.protect,
        // The plan names its target on purpose, often the data a set backs up; destinations stay protected.
        ...(input.scratch ? {} : { intoSource: true }),
        keepPrevious: true,
      }),
    (r, backup) =>
      `restored backup ${backup.id} of ${r.set} (${backup.createdAt}) into ${r.target}${input.scratch ? ' (drill scratch)' : ''}: ${r.files} files, ${r.bytes} bytes${r.previous ? `; previous content kept in ${r.previous}` : ''}`,
    signal,
  );
}

/**
 * Starts a restore workflow and waits for it; an aborted step cancels it and waits until it has
 * stopped (its staging removed). The outcome's backup time is what RPO achieved is measured from.
 */
async function follow<R>(
  what: { failed: string; stopped: string },
  start: () => Promise<{ handle: WorkflowHandle<Workflow> & { result(): Promise<R> }; backup: BackupInfo }>,
  describe: (r: R, backup: BackupInfo) => string,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  let started;
  try {
    started = await start();
  } catch (err) {
    throw stepFailed(`${what.failed}: ${message(err)}`);
  }
  const { handle, backup } = started;
  heartbeat({ restore: handle.workflowId });
  const result = handle.result();
  const first = await Promise.race([
    result.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    aborted(signal),
  ]);
  if (first === 'aborted') {
    await handle.cancel().catch(() => undefined);
    await result.catch(() => undefined);
    throw stepFailed(what.stopped);
  }
  try {
    return { detail: describe(await result, backup), backupAt: backup.createdAt };
  } catch (err) {
    throw stepFailed(`${what.failed}: ${message(err)}`);
  }
}

/** Removes a drill's scratch directories on this host. */
export async function removeScratch(deps: HostActivityDeps, key: string): Promise<StepOutcome> {
  if (!/^[A-Za-z0-9._-]+$/.test(key) || key === '.' || key === '..')
    throw stepInvalid(`bad scratch key ${JSON.stringify(key)}`);
  const dir = path.join(drillScratchDir(deps.host, deps.env), key);
  if (!existsSync(dir)) return { detail: `${dir} (already gone)` };
  // Asynchronous, so that heartbeats go on while a large scratch tree is removed.
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  if (existsSync(dir)) throw stepFailed(`could not remove ${dir}`);
  return { detail: dir };
}
