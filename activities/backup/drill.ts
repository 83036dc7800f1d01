// Drills: proof that backups restore. The backup is extracted into a scratch directory,
// checked file by file against its manifest, and removed.
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { RestoreResult } from '../../src/backup/model/types';
import { checkArchiveSize } from './archive-facts';
import { extractArchive } from './extract';
import type { RestoreDeps } from './restore';
import { cleanStaleQuietly, stagingFailure, token } from './restore';
import { checkSpace } from './restore-target';
import { currentOwner, ScratchJournal } from './scratch-journal';
import type { ScratchEntry } from './scratch-journal';
import { archiveName } from './store';
import { loadManifestOrFail } from './verify';

/**
 * A drill: the backup is extracted into a scratch directory and checked file by file, then
 * the directory is removed. Registered in the journal, so that a drill cut short by a dead
 * worker does not leave its tree behind.
 */
export async function drillRestore(
  set: string,
  destination: string,
  id: string,
  deps: RestoreDeps,
): Promise<RestoreResult> {
  const started = Date.now();
  const journal = new ScratchJournal(deps.stateDir, deps.isRunning);
  await cleanStaleQuietly(journal, deps.log);
  const m = loadManifestOrFail(destination, set, id);
  const owner = deps.owner ?? currentOwner();
  const key = `drill-${token(owner)}`;
  const scratch = path.join(os.tmpdir(), `ha-drill-${set}-${id}-${token(owner)}`);
  const entry: ScratchEntry = {
    kind: 'drill',
    owner,
    set,
    id,
    target: null,
    staging: scratch,
    previous: null,
    state: 'extracting',
    updatedAt: '',
  };
  await journal.acquire(key, entry, () => `drill ${key} is in progress`);
  try {
    checkArchiveSize(path.join(destination, archiveName(m.id)), m, 'nothing was written');
    checkSpace(os.tmpdir(), m);
    await rm(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { mode: 0o700 });
    let counts;
    try {
      counts = await extractArchive({
        archive: path.join(destination, archiveName(m.id)),
        into: scratch,
        manifest: m,
        checksum: { want: m, after: 'the drill failed' },
        allowExternalSymlinks: true,
        owners: process.getuid?.() === 0,
        onProgress: (b, files) =>
          deps.onProgress?.('extract', b, { files, filesTotal: m.files, bytesTotal: m.bytesIn }),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      throw stagingFailure(err, os.tmpdir(), m);
    }
    return {
      set,
      id,
      host: deps.host,
      target: scratch,
      files: counts.files + counts.hardlinks,
      dirs: counts.dirs,
      symlinks: counts.symlinks,
      bytes: counts.bytes,
      durationMs: Date.now() - started,
      previous: null,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    journal.release(key, scratch);
  }
}
