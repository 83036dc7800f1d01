// backup:<set> — one backup run: pre-hooks -> archive on the set's host -> verify -> manifest
// -> retention -> post-hooks. Its ID makes runs of one set exclusive: a second start while one
// runs is refused by the server ("in progress").
import {
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import { BACKUP_MEMO } from '../../src/backup/model/ids';
import type { BackupResult, BackupSetSpec, BackupSummary, HookResult } from '../../src/backup/model/types';
import { backupId } from '../../src/backup/model/types';
import { SA_KEYS } from '../../src/core/search-attributes';
import { hostActivities, longHostActivities } from './activities';
import { backupProgressQuery } from './messages';
import type { BackupProgress, BackupStep } from './messages';

export interface BackupWorkflowInput {
  spec: BackupSetSpec;
  trigger?: 'schedule' | 'manual' | 'api';
}

export { backupProgressQuery };
export type { BackupProgress, BackupStep };

/** Activity proxies for a host, with timeouts that suit each step. */
export function backupActivities(host: string) {
  return {
    // Heartbeats every second or two: a dead worker is noticed in 15s and the step redone.
    long: longHostActivities(host, {
      heartbeatTimeout: '15 seconds',
      maximumAttempts: 8,
      maximumInterval: '2 minutes',
    }),
    short: hostActivities(host, {
      startToCloseTimeout: '15 minutes',
      heartbeatTimeout: '1 minute',
      retry: {
        initialInterval: '2 seconds',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        maximumAttempts: 5,
      },
    }),
    // Hooks stop and start services: never run one twice on our own. They heartbeat, so a dead
    // worker fails the hook within a minute instead of after its whole timeout (up to 30 days).
    hook: (timeoutMs: number) =>
      hostActivities(host, {
        startToCloseTimeout: timeoutMs + 30_000,
        heartbeatTimeout: '1 minute',
        retry: { maximumAttempts: 1 },
      }),
  };
}

/** Patch: a completed run keeps its summary in its memo (read by `hactl status`). */
const RESULT_MEMO = 'backup-result-memo';

export async function backupWorkflow(input: BackupWorkflowInput): Promise<BackupResult> {
  const { spec } = input;
  const startedMs = Date.now(); // workflow time: deterministic
  const createdAt = new Date(startedMs).toISOString();
  const id = backupId(startedMs, uuid4().replace(/-/g, '').slice(0, 6));
  const acts = backupActivities(spec.host);
  const progress: BackupProgress = { id, step: 'pre-hooks', startedAt: createdAt };
  setHandler(backupProgressQuery, () => progress);

  const step = (s: BackupStep, detail = ''): void => {
    progress.step = s;
    upsertSearchAttributes([{ key: SA_KEYS.state, value: s }]);
    setCurrentDetails(
      `backup **${id}** of set ${spec.set} on ${spec.host}: ${s}${detail ? ` — ${detail}` : ''}`,
    );
  };

  const hooks: HookResult[] = [];
  // Pre-hooks stop at the first that fails (the backup does not go on). Post-hooks each undo
  // something (start the app, unfreeze the filesystem), so every one of them runs; the first
  // failure is the one reported.
  const runHooks = async (phase: 'pre' | 'post'): Promise<void> => {
    let first: unknown;
    for (const [index, hook] of spec.hooks[phase].entries()) {
      try {
        hooks.push(await acts.hook(hook.timeoutMs).backupRunHook({ set: spec.set, phase, index, hook }));
      } catch (err) {
        if (phase === 'pre') throw err;
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  };

  let result: BackupResult | undefined;
  let failure: unknown;
  try {
    step('pre-hooks');
    await runHooks('pre');
    step('archiving');
    const archive = await acts.long.backupCreateArchive({ spec, id, createdAt });
    step('verifying');
    await acts.long.backupVerifyArchive({
      spec,
      id,
      archiveBytes: archive.archiveBytes,
      archiveSha256: archive.archiveSha256,
      staged: archive.staged,
    });
    step('manifest');
    const info = await acts.short.backupWriteManifest({ spec, id, createdAt, archive });
    step('retention');
    const retention = await acts.short.backupApplyRetention({ spec, dryRun: false });
    result = {
      set: spec.set,
      id,
      host: spec.host,
      createdAt: info.createdAt,
      archive: info.archive,
      bytesIn: info.bytesIn,
      bytesOut: info.archiveBytes,
      files: info.files,
      durationMs: 0,
      verified: true,
      warnings: info.warnings,
      retention: { removed: retention.removed, kept: retention.decisions.filter((d) => d.keep).length },
      hooks,
    };
  } catch (err) {
    failure = err;
  }
  // Post-hooks run even when the backup failed: they usually undo what pre-hooks did. When
  // both fail, the backup's own failure is the one reported.
  if (spec.hooks.post.length) {
    step('post-hooks');
    try {
      await runHooks('post');
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined || !result) {
    step('failed');
    throw failure;
  }
  result.durationMs = Date.now() - startedMs;
  if (patched(RESULT_MEMO)) {
    const summary: BackupSummary = {
      id: result.id,
      createdAt: result.createdAt,
      files: result.files,
      bytesOut: result.bytesOut,
      verified: result.verified,
    };
    upsertMemo({ [BACKUP_MEMO.summary]: summary });
  }
  step(
    'done',
    `${result.files} files, ${result.bytesOut} bytes${result.warnings.length ? `, ${result.warnings.length} warning(s)` : ''}`,
  );
  return result;
}
