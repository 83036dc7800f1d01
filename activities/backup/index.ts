// Backup activities: they run on the set's host (task queue ha-host-<host>).
import { readFileSync, rmSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ArchiveResult,
  BackupInfo,
  BackupSetSpec,
  HookResult,
  HookSpec,
  Manifest,
  ManifestFile,
  RestoreRequest,
  RestoreResult,
  VerifyReport,
} from '../../src/common/backup';
import { MANIFEST_FORMAT } from '../../src/common/backup';
import { ERROR_TYPES } from '../../src/common/errors';
import { applyRetention } from '../../src/common/retention';
import type { RetentionDecision } from '../../src/common/retention';
import { createArchive, destinationError, ENTRIES_SIDECAR } from './archive';
import {
  checkArchiveChecksum,
  drillDirectory,
  loadManifestOrFail,
  pickForVerification,
  recordVerified,
  restoreBackup,
  verifyOne,
} from './restore';
import { runCommand, showArgv } from './run-command';
import {
  archiveName,
  deleteBackup,
  infoOf,
  listDestination,
  manifestName,
  partialName,
  readManifest,
  writeFileAtomic,
} from './store';

export interface BackupActivityDeps {
  host: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** Latest progress of each running activity (several run at once on one worker). */
const lastDetails = new WeakMap<Context, unknown>();

function heartbeat(details: unknown): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return; // called outside an activity (tests)
  }
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/**
 * Heartbeats every 2s whatever the work is doing (a 30-minute pg_dump prints no progress), so
 * that only a dead worker misses the heartbeat timeout.
 */
async function withHeartbeats<T>(fn: () => Promise<T>): Promise<T> {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return fn();
  }
  const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), 2000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

export function createBackupActivities(deps: BackupActivityDeps) {
  const now = deps.now ?? Date.now;
  const env = deps.env ?? process.env;

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
      const o = await runCommand(input.hook, { host: deps.host, where, env, ...(signal ? { signal } : {}) });
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
          ERROR_TYPES.hookFailed,
        );
      }
      return result;
    },

    /** Writes <id>.tar.gz (heartbeating progress); a retry after a crash starts over cleanly. */
    async backupCreateArchive(input: {
      spec: BackupSetSpec;
      id: string;
      createdAt: string;
    }): Promise<ArchiveResult> {
      const signal = cancellationSignal();
      return withHeartbeats(() =>
        createArchive({
          spec: input.spec,
          id: input.id,
          createdAt: input.createdAt,
          env,
          ...(signal ? { signal } : {}),
          onProgress: (p) => heartbeat(p),
        }),
      );
    },

    /** Reads the archive back from disk and checks it is what was written. */
    async backupVerifyArchive(input: {
      spec: BackupSetSpec;
      id: string;
      archiveBytes: number;
      archiveSha256: string;
    }): Promise<{ ok: true }> {
      const file = path.join(input.spec.destination, archiveName(input.id));
      await withHeartbeats(() =>
        checkArchiveChecksum(file, { ...input }, 'read back right after writing it', (b) =>
          heartbeat({ verified: b }),
        ),
      );
      return { ok: true };
    },

    /** The manifest makes the archive a backup; it is written last, atomically. */
    async backupWriteManifest(input: {
      spec: BackupSetSpec;
      id: string;
      createdAt: string;
      archive: ArchiveResult;
    }): Promise<BackupInfo> {
      const dest = input.spec.destination;
      const sidecar = path.join(dest, partialName(input.id, ENTRIES_SIDECAR));
      let entries: ManifestFile[];
      try {
        entries = JSON.parse(readFileSync(sidecar, 'utf8')) as ManifestFile[];
      } catch (err) {
        // A retry after the manifest was written (and the sidecar removed) finds it done.
        try {
          const done = readManifest(dest, input.id);
          if (done.archiveSha256 === input.archive.archiveSha256) return infoOf(done);
        } catch {
          /* no manifest yet */
        }
        // Without its entry list the archive cannot become a backup.
        throw ApplicationFailure.nonRetryable(
          `entry list for ${input.id} is missing (${(err as Error).message}); run the backup again`,
          'SidecarMissing',
        );
      }
      const a = input.archive;
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
      };
      try {
        writeFileAtomic(path.join(dest, manifestName(input.id)), JSON.stringify(manifest));
      } catch (err) {
        throw destinationError(err, dest, a.archiveBytes);
      }
      unlinkSync(sidecar);
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
          heartbeat({ verifying: id, done: reports.length });
          reports.push(
            await verifyOne(input.destination, input.set, id, input.deep, (b) =>
              heartbeat({ verifying: id, bytes: b }),
            ),
          );
        }
      });
      recordVerified(input.destination, reports, all);
      return reports;
    },

    async backupRestore(req: RestoreRequest): Promise<RestoreResult> {
      return withHeartbeats(() =>
        restoreBackup(req, { host: deps.host, onProgress: (what, bytes) => heartbeat({ what, bytes }) }),
      );
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
          ERROR_TYPES.backupNotFound,
        );
      // The listing already read it; an id not listed gets loadManifestOrFail's explanation.
      const m =
        listing.backups.find((b) => b.id === id) ??
        loadManifestOrFail(input.spec.destination, input.spec.set, id);
      const target = drillDirectory(input.spec.set, id);
      rmSync(target, { recursive: true, force: true });
      try {
        const r = await withHeartbeats(() =>
          restoreBackup(
            {
              set: input.spec.set,
              id,
              destination: input.spec.destination,
              target,
              keepPrevious: false,
              allowExternalSymlinks: true,
            },
            { host: deps.host, onProgress: (what, bytes) => heartbeat({ what, bytes }) },
          ),
        );
        if (r.bytes !== m.bytesIn) {
          throw ApplicationFailure.nonRetryable(
            `drill restored ${r.bytes} bytes, the manifest says ${m.bytesIn}`,
            ERROR_TYPES.archiveCorrupted,
          );
        }
        return { ...r, manifestFiles: m.files };
      } finally {
        rmSync(target, { recursive: true, force: true });
      }
    },
  };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
