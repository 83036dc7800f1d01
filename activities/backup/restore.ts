// Restores and drills: checks on the host, extraction into a staging directory, the swap (the
// commit point), cleanup after cancellation, and drills that extract into scratch and check.
// Over 400 lines on purpose: extraction, the swap and its recovery share the journal protocol,
// and reading them side by side is how their crash windows are checked.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, statfsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { fsyncDir } from '../shared/fs';
import type {
  Manifest,
  RestoreCheck,
  RestoreRequest,
  RestoreResult,
  StagedRestore,
} from '../../src/backup/model/types';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import { formatBytes } from '../../src/core/format';
import { checkArchiveSize } from './archive-facts';
import { extractArchive, extractionFailure } from './extract';
import { checkSpace, checkTarget, realOrPlanned, spaceNeeded, targetTextError } from './restore-target';
import type { CheckedTarget } from './restore-target';
import {
  currentOwner,
  describeOwner,
  ownerRunning,
  recoverLeftovers,
  sameRun,
  ScratchJournal,
} from './scratch-journal';
import type { Owner, OwnerCheck, ScratchEntry } from './scratch-journal';
import { archiveName, fileSize, infoOf } from './store';
import { loadManifestOrFail } from './verify';

function stamp(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export interface RestoreDeps {
  host: string;
  /** The host's state directory (scratch journal). */
  stateDir: string;
  owner?: Owner;
  isRunning?: OwnerCheck;
  /** Progress of a step; `more` holds files and the totals when they are known. */
  onProgress?: (what: string, bytes: number, more?: Record<string, number>) => void;
  /** Aborted when the activity is cancelled (or its run ended): extraction stops there. */
  signal?: AbortSignal;
  mountinfo?: string;
  log?: (line: string) => void;
}

const restoreKey = (realTarget: string): string =>
  `restore-${createHash('sha256').update(realTarget).digest('hex').slice(0, 16)}`;

/** Short, per-attempt: a retry never writes into the tree of the attempt before it. */
export function token(o: Owner): string {
  return createHash('sha256')
    .update(`${o.namespace}/${o.workflowId}/${o.runId}/${o.attempt}`)
    .digest('hex')
    .slice(0, 8);
}

function busyMessage(target: string): (holder: ScratchEntry) => string {
  return (h) =>
    `a restore into ${target} is already in progress: ${describeOwner(h.owner)}, backup ${h.id} of set ${h.set}, ${h.state} since ${h.updatedAt}; wait for it or cancel it`;
}

/** A file source restored in place replaces a file; everything else replaces a tree. */
function targetKind(req: RestoreRequest, m: Manifest): 'dir' | 'file' {
  if (req.subtree === undefined) return 'dir';
  const e = m.entries.find((x) => x.path.replace(/\/+$/, '') === req.subtree);
  return e?.type === 'file' ? 'file' : 'dir';
}

function checkOf(req: RestoreRequest, deps: RestoreDeps, kind: 'dir' | 'file'): CheckedTarget {
  return checkTarget({
    kind,
    target: req.target,
    set: req.set,
    destination: req.destination,
    ...(req.protect ? { protect: req.protect } : {}),
    ...(req.intoSource ? { intoSource: true } : {}),
    stateDir: deps.stateDir,
    ...(deps.mountinfo ? { mountinfo: deps.mountinfo } : {}),
  });
}

/** The directory that exists nearest to `p` (itself or an ancestor): where statfs can look. */
function existingAncestor(p: string): string {
  let cur = p;
  while (!existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

/** Preflight for `hactl restore`: every check that the restore itself makes, nothing written. */
export async function checkRestore(req: RestoreRequest, deps: RestoreDeps): Promise<RestoreCheck> {
  const m = loadManifestOrFail(req.destination, req.set, req.id);
  const t = checkOf(req, deps, targetKind(req, m));
  const size = fileSize(path.join(req.destination, archiveName(m.id)));
  if (size !== m.archiveBytes) {
    throw ApplicationFailure.nonRetryable(
      `archive of backup ${m.id} has ${size ?? 'no'} bytes, its manifest says ${m.archiveBytes}; nothing was written`,
      size === undefined ? BACKUP_FAILURES.archiveMissing : BACKUP_FAILURES.archiveCorrupted,
    );
  }
  const space = checkSpace(existingAncestor(t.parent), m);
  const journal = new ScratchJournal(deps.stateDir, deps.isRunning);
  const holder = journal.read(restoreKey(t.real));
  const owner = deps.owner ?? currentOwner();
  if (holder && !sameRun(holder.owner, owner) && (await (deps.isRunning ?? ownerRunning)(holder.owner))) {
    throw ApplicationFailure.nonRetryable(busyMessage(t.real)(holder), BACKUP_FAILURES.restoreInProgress);
  }
  return {
    backup: infoOf(m),
    target: t.real,
    targetExists: t.exists,
    needBytes: space.needBytes,
    freeBytes: space.freeBytes,
  };
}

/** Errors of writing the staging tree, with what the user needs to act on them. */
export function stagingFailure(err: unknown, dir: string, m: Manifest): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    let free = 'unknown';
    try {
      const fs = statfsSync(dir);
      free = `${formatBytes(fs.bavail * fs.bsize)} (${fs.bavail * fs.bsize} bytes)`;
    } catch {
      /* keep unknown */
    }
    const need = spaceNeeded(m, 4096).bytes;
    return ApplicationFailure.nonRetryable(
      `${dir} filled up while restoring backup ${m.id} (${code}): it needs about ${formatBytes(need)} (${need} bytes), ${free} free now; ` +
        'the staging directory was removed and the target was not touched',
      BACKUP_FAILURES.restoreNoSpace,
    );
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return ApplicationFailure.nonRetryable(
      `cannot write in ${dir} (${code}); the restore needs to create its staging directory there`,
      BACKUP_FAILURES.restoreTargetInvalid,
    );
  }
  return extractionFailure(err, archiveName(m.id));
}

/**
 * Step 1 of a restore: checks, then the archive's checksum, then extraction into a staging
 * directory beside the target, checked entry by entry against the manifest. Takes the
 * target's lock and keeps it for the swap. On any failure or cancellation the staging
 * directory is removed and the lock released; the target is never touched here.
 */
export async function extractForRestore(req: RestoreRequest, deps: RestoreDeps): Promise<StagedRestore> {
  const started = Date.now();
  const journal = new ScratchJournal(deps.stateDir, deps.isRunning);
  await cleanStaleQuietly(journal, deps.log);
  const m = loadManifestOrFail(req.destination, req.set, req.id);
  const kind = targetKind(req, m);
  const t = checkOf(req, deps, kind);
  const owner = deps.owner ?? currentOwner();
  const key = restoreKey(t.real);
  const staging = path.join(t.parent, `.${path.basename(t.real)}.ha-restore-${m.id}-${token(owner)}`);
  const entry: ScratchEntry = {
    kind: 'restore',
    owner,
    set: req.set,
    id: m.id,
    target: t.real,
    staging,
    previous: null,
    state: 'extracting',
    updatedAt: '',
  };
  await journal.acquire(key, entry, busyMessage(t.real));
  try {
    checkArchiveSize(path.join(req.destination, archiveName(m.id)), m, 'nothing was written');
    try {
      mkdirSync(t.parent, { recursive: true });
    } catch (err) {
      throw stagingFailure(err, existingAncestor(t.parent), m);
    }
    checkSpace(t.parent, m);
    await rm(staging, { recursive: true, force: true });
    let counts;
    try {
      if (kind === 'dir') mkdirSync(staging, { mode: 0o700 });
      counts = await extractArchive({
        archive: path.join(req.destination, archiveName(m.id)),
        // A file source is staged as one file beside itself.
        ...(kind === 'dir' ? { into: staging } : { intoFile: staging }),
        manifest: m,
        // Checked in the same pass: a mismatch fails the restore before its swap, and the
        // staging directory is removed, so the target is never touched.
        checksum: { want: m, after: `nothing was written to ${t.real}` },
        allowExternalSymlinks: req.allowExternalSymlinks,
        owners: process.getuid?.() === 0,
        // The manifest's totals hold for a whole backup, not for one source of an in-place restore.
        onProgress: (b, files) =>
          deps.onProgress?.('extract', b, {
            files,
            ...(req.subtree === undefined ? { filesTotal: m.files, bytesTotal: m.bytesIn } : {}),
          }),
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(req.maxBytesPerSec ? { maxBytesPerSec: req.maxBytesPerSec } : {}),
        ...(req.subtree !== undefined ? { subtree: req.subtree } : {}),
      });
      if (kind === 'dir') chmodSync(staging, t.mode); // the target directory itself keeps its mode
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      throw stagingFailure(err, t.parent, m);
    }
    journal.update(key, { ...entry, state: 'extracted' });
    return {
      staging,
      target: t.real,
      targetExisted: t.exists,
      files: counts.files + counts.hardlinks,
      dirs: counts.dirs,
      symlinks: counts.symlinks,
      bytes: counts.bytes,
      startedMs: started,
    };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    journal.release(key, staging);
    throw err;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
}

export async function cleanStaleQuietly(
  journal: ScratchJournal,
  log?: (line: string) => void,
): Promise<void> {
  try {
    for (const line of await journal.cleanStale()) log?.(`left by an ended run: ${line}`);
  } catch (err) {
    log?.(`could not clean scratch leftovers: ${(err as Error).message}`);
  }
}

/** Removes what an ended restore or drill left on this host; for the backup step to call. */
export async function cleanScratchLeftovers(stateDir: string, log?: (line: string) => void): Promise<void> {
  await cleanStaleQuietly(new ScratchJournal(stateDir), log);
}

function swapFailure(err: unknown, what: string): ApplicationFailure {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EBUSY'
      ? 'it is busy (a mount point, or a process has it as its working directory)'
      : code === 'EXDEV'
        ? 'it is on another filesystem than its parent'
        : (err as Error).message;
  return ApplicationFailure.nonRetryable(
    `${what} failed: ${why}; the target was left as it was and the staging directory was removed`,
    BACKUP_FAILURES.restoreSwapFailed,
  );
}

/**
 * Step 2, the commit point: the old content moves aside and the staged tree takes the
 * target's name. `stillWanted` is asked just before (the run may have been terminated while
 * this step waited). The previous content is deleted only after both renames succeeded.
 *
 * Every step is idempotent and the journal says "swapping" from the first rename until the end,
 * so a retry after a crash at any line resumes from what is on disk: the first rename if the
 * target is still there, the second if the staged tree is still there, then the finish.
 */
export async function swapRestore(
  req: RestoreRequest,
  staged: StagedRestore,
  deps: RestoreDeps & { stillWanted?: () => Promise<boolean> },
): Promise<RestoreResult> {
  const journal = new ScratchJournal(deps.stateDir, deps.isRunning);
  const owner = deps.owner ?? currentOwner();
  const key = restoreKey(staged.target);
  const target = staged.target;
  const plannedPrevious = staged.targetExisted
    ? `${target}.ha-previous-${stamp(req.startedAt ?? new Date(staged.startedMs).toISOString())}-${token({ ...owner, attempt: 0 })}`
    : null;
  const result = (previous: string | null): RestoreResult => ({
    set: req.set,
    id: req.id,
    host: deps.host,
    target,
    files: staged.files,
    dirs: staged.dirs,
    symlinks: staged.symlinks,
    bytes: staged.bytes,
    durationMs: Date.now() - staged.startedMs,
    previous,
  });
  const e = journal.read(key);
  if (!e || e.staging !== staged.staging) {
    // A retry of a swap that completed (its lock is released once it is done).
    if (!existsSync(staged.staging) && existsSync(target)) {
      return result(plannedPrevious && existsSync(plannedPrevious) ? plannedPrevious : null);
    }
    throw ApplicationFailure.nonRetryable(
      `the staged restore of ${target} is no longer held by this run (${e ? `now ${describeOwner(e.owner)}` : 'its lock is gone'}); nothing was swapped`,
      BACKUP_FAILURES.restoreAbandoned,
    );
  }
  const resuming = e.state === 'swapping';
  if (!resuming && deps.stillWanted && !(await deps.stillWanted())) {
    await recoverLeftovers(e);
    journal.release(key, e.staging);
    throw ApplicationFailure.nonRetryable(
      `the restore run ended before its swap; ${target} was not touched and the staging directory was removed`,
      BACKUP_FAILURES.restoreAbandoned,
    );
  }
  const previousPath = resuming ? e.previous : plannedPrevious;
  if (!resuming) journal.update(key, { ...e, state: 'swapping', previous: previousPath });
  const giveUp = async (err: unknown, what: string): Promise<never> => {
    await rm(staged.staging, { recursive: true, force: true });
    journal.release(key, e.staging);
    throw swapFailure(err, what);
  };

  // 1. The old content aside (unless an earlier attempt did it).
  if (previousPath && existsSync(staged.staging) && !existsSync(previousPath) && existsSync(target)) {
    try {
      renameSync(target, previousPath);
    } catch (err) {
      await giveUp(err, `moving ${target} aside to ${previousPath}`);
    }
  }
  const movedAside = previousPath !== null && existsSync(previousPath);

  // 2. The staged tree in (unless an earlier attempt did it).
  if (existsSync(staged.staging)) {
    try {
      renameSync(staged.staging, target);
    } catch (err) {
      if (movedAside && !existsSync(target)) {
        try {
          renameSync(previousPath, target);
        } catch (back) {
          // Both trees exist; the journal still says "swapping": the cleanup that follows this
          // failure, or else the next restore, drill or backup on this host, puts the previous
          // content back. Nothing is deleted.
          throw ApplicationFailure.nonRetryable(
            `renaming the staged tree to ${target} failed (${(err as Error).message}) and moving the previous content back failed too (${(back as Error).message}): ` +
              `the previous content is in ${previousPath}, the restored tree in ${staged.staging}; the journal keeps the swap, so that it is rolled back`,
            BACKUP_FAILURES.restoreSwapFailed,
          );
        }
      } else if (movedAside) {
        // Something created the target again after the old content moved aside: three trees,
        // and no way to tell which one is wanted. Everything stays, and the lock with it.
        throw ApplicationFailure.nonRetryable(
          `renaming the staged tree to ${target} failed (${(err as Error).message}): ${target} was created again after its previous content moved to ${previousPath}; ` +
            `the restored tree is in ${staged.staging}. Nothing was deleted; decide which to keep`,
          BACKUP_FAILURES.restoreSwapFailed,
        );
      }
      await giveUp(err, `renaming the staged tree to ${target}`);
    }
  } else if (!existsSync(target)) {
    // Neither the staged tree nor the target: someone removed them. Put back what there was.
    if (movedAside) renameSync(previousPath, target);
    journal.release(key, e.staging);
    throw ApplicationFailure.nonRetryable(
      `the staged tree ${staged.staging} disappeared before it was swapped in; ${movedAside ? `${target} has its previous content again` : `${target} does not exist`}`,
      BACKUP_FAILURES.restoreSwapFailed,
    );
  }

  // 3. Finish: durable renames, the previous content deleted if asked, then the lock released
  // (a retry that finds the lock still held comes back here).
  fsyncDir(path.dirname(target));
  let previous = movedAside ? previousPath : null;
  if (previous && !req.keepPrevious) {
    await rm(previous, { recursive: true, force: true });
    previous = null;
  }
  journal.release(key, e.staging);
  return result(previous);
}

/** Cleanup after a cancelled or failed restore: its staging tree goes, the lock is released. */
export async function abandonRestore(
  req: RestoreRequest,
  deps: RestoreDeps,
): Promise<{ removed: string | null }> {
  const journal = new ScratchJournal(deps.stateDir, deps.isRunning);
  const owner = deps.owner ?? currentOwner();
  if (targetTextError(req.target)) return { removed: null };
  const key = restoreKey(realOrPlanned(req.target));
  const e = journal.read(key);
  if (!e || !sameRun(e.owner, owner)) return { removed: null };
  for (const note of await recoverLeftovers(e)) deps.log?.(note);
  journal.release(key, e.staging);
  return { removed: e.staging };
}

/** Extract and swap in one go, outside a workflow (benchmarks, tests). */
export async function restoreBackup(req: RestoreRequest, deps: RestoreDeps): Promise<RestoreResult> {
  // One owner for both halves: outside an activity each currentOwner() call
  // invents a fresh run, and the swap would not recognise its own lock.
  const owned = { ...deps, owner: deps.owner ?? currentOwner() };
  const staged = await extractForRestore(req, owned);
  return swapRestore(req, staged, owned);
}
