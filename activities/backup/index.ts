// Backup activities: they run on the set's host (task queue ha-host-<host>).
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { fsyncDir, writeFileAtomic } from '../shared/fs';
import type {
  ArchiveResult,
  BackupInfo,
  BackupSetSpec,
  HookResult,
  HookSpec,
  Manifest,
  ManifestFile,
  RestoreCheck,
  RestoreRequest,
  RestoreResult,
  StagedRestore,
  VerifyReport,
} from '../../src/backup/model/types';
import { MANIFEST_FORMAT } from '../../src/backup/model/types';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import { applyRetention } from '../../src/backup/model/retention';
import type { RetentionDecision } from '../../src/backup/model/retention';
import { createArchive, destinationError, sidecarName } from './archive';
import {
  abandonRestore,
  checkRestore,
  cleanScratchLeftovers,
  extractForRestore,
  swapRestore,
} from './restore';
import { drillRestore } from './drill';
import {
  checkArchiveChecksum,
  loadManifestOrFail,
  pickForVerification,
  recordVerified,
  verifyOne,
} from './verify';
import type { RestoreDeps } from './restore';
import type { ActivityModule } from '../../src/platform/capability';
import { runCommand, showArgv } from '../shared/command';
import {
  activityLog,
  cancellationSignal,
  currentAttempt,
  heartbeat,
  withHeartbeats,
} from '../shared/heartbeat';
import { hostStateDir } from '../shared/host-state';
import { currentOwner, ownerRunning } from './scratch-journal';
import {
  archiveName,
  deleteBackup,
  fileSize,
  infoOf,
  listDestination,
  manifestName,
  PARTIAL_SUFFIX,
  readManifest,
} from './store';

export interface BackupActivityDeps {
  host: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** The host's state directory; default from HA_STATE_DIR (see hostStateDir). */
  stateDir?: string;
}

export function createBackupActivities(deps: BackupActivityDeps) {
  const now = deps.now ?? Date.now;
  const env = deps.env ?? process.env;
  const stateDir = deps.stateDir ?? hostStateDir(deps.host, env);
  const restoreDeps = (): RestoreDeps => {
    const signal = cancellationSignal();
    return {
      host: deps.host,
      stateDir,
      onProgress: (what, bytes, more) => heartbeat({ what, bytes, ...more }),
      log: activityLog,
      ...(signal ? { signal } : {}),
    };
  };

  return {
    /** One pre- or post-hook. Failing hooks with onError: fail fail the backup. */
    async backupRunHook(input: {
      set: string;
      phase: 'pre' | 'post';
      index: number;
      hook: HookSpec;
    }): Promise<HookResult> {
      const where = `hooks.${input.phase}[${input.index}] of ${input.set}`;
      const signal = cancellationSignal();
      const o = await withHeartbeats(() =>
        runCommand(input.hook, { host: deps.host, where, env, ...(signal ? { signal } : {}) }),
      );
      const ok = o.exitCode === 0 && !o.timedOut;
      const output = `${o.stdoutTail}${o.stderrTail}`.trim().slice(-2000);
      const result: HookResult = {
        argv: input.hook.argv,
        exitCode: o.exitCode,
        ok,
        durationMs: o.durationMs,
        output,
      };
      if (!ok && input.hook.onError === 'fail') {
        const why = o.timedOut
          ? `timed out after ${input.hook.timeoutMs / 1000}s`
          : `exited with status ${o.exitCode ?? o.signal}`;
        throw ApplicationFailure.nonRetryable(
          `${where}: \`${showArgv(input.hook)}\` ${why}${output ? `: ${output.slice(-500)}` : ''}`,
          BACKUP_FAILURES.hookFailed,
        );
      }
      return result;
    },

    /**
     * Writes the archive under this attempt's own name (heartbeating progress); a retry after a
     * crash starts over cleanly and never touches the files of another attempt.
     */
    async backupCreateArchive(input: {
      spec: BackupSetSpec;
      id: string;
      createdAt: string;
    }): Promise<ArchiveResult> {
      const signal = cancellationSignal();
      return withHeartbeats(async () => {
        // What a terminated restore or a dead worker left on this host goes first.
        await cleanScratchLeftovers(stateDir, activityLog);
        return createArchive({
          spec: input.spec,
          id: input.id,
          createdAt: input.createdAt,
          env,
          attempt: currentAttempt(),
          ...(signal ? { signal } : {}),
          onProgress: (p) => heartbeat(p),
        });
      });
    },

    /** Reads the archive back from disk and checks it is what was written. */
    async backupVerifyArchive(input: {
      spec: BackupSetSpec;
      id: string;
      archiveBytes: number;
      archiveSha256: string;
      /** The attempt's file awaiting the manifest step; default the committed archive. */
      staged?: string;
    }): Promise<{ ok: true }> {
      const file = path.join(input.spec.destination, input.staged ?? archiveName(input.id));
      await withHeartbeats(() =>
        checkArchiveChecksum(file, { ...input }, 'read back right after writing it', (b) =>
          heartbeat({ verified: b, total: input.archiveBytes }),
        ),
      );
      return { ok: true };
    },

    /**
     * The manifest makes the archive a backup: the accepted attempt's archive is renamed to
     * <id>.tar.gz, then the manifest is written last, atomically. Safe to repeat.
     */
    async backupWriteManifest(input: {
      spec: BackupSetSpec;
      id: string;
      createdAt: string;
      archive: ArchiveResult;
    }): Promise<BackupInfo> {
      const dest = input.spec.destination;
      const a = input.archive;
      const sidecar = path.join(dest, sidecarName(input.id, a.attempt));
      let entries: ManifestFile[];
      let gzipMembers: number[] | undefined;
      try {
        // The entry list, and the size of every gzip member (older workers wrote the list alone).
        const side = JSON.parse(readFileSync(sidecar, 'utf8')) as
          ManifestFile[] | { entries: ManifestFile[]; gzipMembers?: number[] };
        entries = Array.isArray(side) ? side : side.entries;
        gzipMembers = Array.isArray(side) ? undefined : side.gzipMembers;
      } catch (err) {
        // A retry after the manifest was written (and the sidecar removed) finds it done.
        try {
          const done = readManifest(dest, input.id);
          if (done.archiveSha256 === a.archiveSha256) return infoOf(done);
        } catch {
          /* no manifest yet */
        }
        // Without its entry list the archive cannot become a backup.
        throw ApplicationFailure.nonRetryable(
          `entry list for ${input.id} is missing (${(err as Error).message}); run the backup again`,
          BACKUP_FAILURES.sidecarMissing,
        );
      }
      const final = path.join(dest, archiveName(input.id));
      const staged = path.join(dest, a.staged);
      try {
        if (existsSync(staged)) renameSync(staged, final);
      } catch (err) {
        throw destinationError(err, dest, a.archiveBytes);
      }
      if (fileSize(final) !== a.archiveBytes) {
        throw ApplicationFailure.nonRetryable(
          `the archive of ${input.id} (${a.staged}) is gone or changed before it could be committed; run the backup again`,
          BACKUP_FAILURES.archiveMissing,
        );
      }
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        id: input.id,
        set: input.spec.set,
        host: deps.host,
        createdAt: input.createdAt,
        archive: a.archive,
        archiveBytes: a.archiveBytes,
        archiveSha256: a.archiveSha256,
        gzipLevel: input.spec.gzipLevel,
        sources: input.spec.sources.map((s) => ({ path: s.path, exclude: s.exclude })),
        commands: input.spec.commands.map((c) => c.name),
        files: a.files,
        dirs: a.dirs,
        symlinks: a.symlinks,
        bytesIn: a.bytesIn,
        warnings: a.warnings,
        entries,
        ...(gzipMembers?.length ? { gzipMembers } : {}),
      };
      try {
        writeFileAtomic(path.join(dest, manifestName(input.id)), JSON.stringify(manifest));
      } catch (err) {
        throw destinationError(err, dest, a.archiveBytes);
      }
      // This run's leftovers: the sidecar and whatever attempts that lost the race wrote.
      for (const n of readdirSync(dest)) {
        if (n.startsWith(`.${input.id}.`) && n.endsWith(PARTIAL_SUFFIX))
          rmSync(path.join(dest, n), { force: true });
      }
      fsyncDir(dest);
      return infoOf(manifest);
    },

    /** Applies the set's retention; with dryRun only reports. The newest backup always stays. */
    async backupApplyRetention(input: {
      spec: BackupSetSpec;
      dryRun: boolean;
    }): Promise<{ decisions: RetentionDecision[]; removed: string[] }> {
      const listing = listDestination(input.spec.destination, input.spec.set);
      const decisions = applyRetention(listing.backups, input.spec.retention, input.spec.timezone, now());
      const removed: string[] = [];
      if (!input.dryRun) {
        for (const d of decisions) {
          if (d.keep) continue;
          deleteBackup(input.spec.destination, d.id);
          removed.push(d.id);
          heartbeat({ removed: removed.length });
        }
      }
      return { decisions, removed };
    },

    async backupList(input: { destination: string; set: string }): Promise<{
      backups: BackupInfo[];
      unreadable: Array<{ id: string; error: string }>;
      damaged: Array<{ id: string; reason: string }>;
      orphans: string[];
    }> {
      const l = listDestination(input.destination, input.set);
      return { backups: l.backups, unreadable: l.unreadable, damaged: l.damaged, orphans: l.orphans };
    },

    /** Verifies the given backups, or a rotating sample of `sample` of them. */
    async backupVerify(input: {
      destination: string;
      set: string;
      ids?: string[];
      sample?: number;
      deep: boolean;
    }): Promise<VerifyReport[]> {
      const listing = listDestination(input.destination, input.set);
      const all = [...listing.backups, ...listing.unreadable, ...listing.damaged].map((b) => b.id).sort();
      const ids =
        input.ids ?? (input.sample ? pickForVerification(input.destination, all, input.sample) : all);
      const reports: VerifyReport[] = [];
      await withHeartbeats(async () => {
        for (const id of ids) {
          const at = { verifying: id, done: reports.length, of: ids.length };
          heartbeat(at);
          reports.push(
            await verifyOne(input.destination, input.set, id, input.deep, (b, total) =>
              heartbeat({ ...at, bytes: b, bytesTotal: total }),
            ),
          );
        }
      });
      recordVerified(input.destination, reports, all);
      return reports;
    },

    /** Preflight of a restore: target guards, space, lock; reads only the manifest. */
    async backupRestoreCheck(req: RestoreRequest): Promise<RestoreCheck> {
      return checkRestore(req, restoreDeps());
    },

    /** Restore step 1: checksum and extraction into a staging directory; never touches the target. */
    async backupRestoreExtract(req: RestoreRequest): Promise<StagedRestore> {
      return withHeartbeats(() => extractForRestore(req, restoreDeps()));
    },

    /** Restore step 2, the commit point: swaps the staged tree in, if this run is still live. */
    async backupRestoreSwap(input: { req: RestoreRequest; staged: StagedRestore }): Promise<RestoreResult> {
      const owner = currentOwner();
      return withHeartbeats(() =>
        swapRestore(input.req, input.staged, {
          ...restoreDeps(),
          // A terminated run must not swap: the server is asked, not the (throttled) heartbeat.
          stillWanted: () => ownerRunning(owner),
        }),
      );
    },

    /** After a cancelled or failed restore: removes its staging directory, releases the target. */
    async backupRestoreAbandon(req: RestoreRequest): Promise<{ removed: string | null }> {
      return withHeartbeats(() => abandonRestore(req, restoreDeps()));
    },

    /** Restores a backup (default: the newest) into a scratch directory, checks it, removes it. */
    async backupDrill(input: {
      spec: BackupSetSpec;
      id?: string;
    }): Promise<RestoreResult & { manifestFiles: number }> {
      const listing = listDestination(input.spec.destination, input.spec.set);
      const id = input.id ?? listing.backups.at(-1)?.id;
      if (!id)
        throw ApplicationFailure.nonRetryable(
          `set ${input.spec.set} has no backups to drill`,
          BACKUP_FAILURES.backupNotFound,
        );
      // The listing already read it; an id not listed gets loadManifestOrFail's explanation.
      const m =
        listing.backups.find((b) => b.id === id) ??
        loadManifestOrFail(input.spec.destination, input.spec.set, id);
      const r = await withHeartbeats(() =>
        drillRestore(input.spec.set, input.spec.destination, id, restoreDeps()),
      );
      if (r.bytes !== m.bytesIn) {
        throw ApplicationFailure.nonRetryable(
          `drill restored ${r.bytes} bytes, the manifest says ${m.bytesIn}`,
          BACKUP_FAILURES.archiveCorrupted,
        );
      }
      return { ...r, manifestFiles: m.files };
    },
  };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;

/** What the worker registers: backup activities run on the set's host. */
export const activityModule: ActivityModule = {
  host: (deps) => ({ activities: createBackupActivities(deps) }),
};
