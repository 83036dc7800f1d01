// Typed client operations for backups and restores: what `hactl backup ...` and `hactl restore`
// do, for programs that start them themselves. Every start is checked against its workflow
// function's signature (type-only imports: no workflow code is loaded here).
// Over 400 lines on purpose: restores into a directory and in place share their preflight and
// error mapping with the backup operations beside them, which are the set's one client.
import type { Client, Workflow, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { BadInput, innermostCause, OperationFailed } from '../core/errors';
import { SHARED_TASK_QUEUE } from '../core/names';
import { searchAttributePairs } from '../core/search-attributes';
import type { BaseConfig } from '../platform/config/load';
import { oneOffIdTail } from '../platform/temporal/one-off-id';
import type {
  backupListWorkflow,
  backupPruneWorkflow,
  restoreCheckWorkflow,
} from '../../workflows/backup/backup-admin';
import type { backupDrillWorkflow } from '../../workflows/backup/backup-drill';
import type { backupVerifyWorkflow } from '../../workflows/backup/backup-verify';
import type { BackupListResult } from '../../workflows/backup/backup-admin';
import type { backupWorkflow } from '../../workflows/backup/backup';
import type { restoreWorkflow, RestoreWorkflowInput } from '../../workflows/backup/restore';
import type { restoreInPlaceWorkflow } from '../../workflows/backup/restore-in-place';
import type { BackupSetConfig } from './config';
import type { BackupSection } from './desired';
import { BACKUP_FAILURES } from './model/failures';
import { BACKUP_IDS, BACKUP_KIND, BACKUP_WORKFLOWS } from './model/ids';
import type { RetentionDecision } from './model/retention';
import { NoSuchBackup, pickBackup } from './model/selection';
import type {
  BackupInfo,
  BackupResult,
  BackupSetSpec,
  RestoreCheck,
  RestoreProtect,
  RestoreResult,
  VerifyReport,
} from './model/types';
import { normaliseAbsolute, restoreTargetError, sourceSubtree } from './model/types';

export { NoSuchBackup, pickBackup };

type WorkflowHandle<W extends Workflow> = WorkflowHandleWithFirstExecutionRunId<W>;

/** The config names no such set (exit 2). */
export class UnknownBackupSet extends BadInput {}

/** A backup of the set is running; another is refused (exit 1). */
export class BackupInProgress extends OperationFailed {}

/** Bad restore target: refused before anything runs (exit 2). */
export class InvalidRestoreTarget extends BadInput {}

/** Another restore into the same directory is running (exit 1). */
export class RestoreInProgress extends OperationFailed {}

/** A restore's preflight on its host failed for a reason that is not bad input (exit 1). */
export class RestoreRefused extends OperationFailed {}

export function findSet(config: BaseConfig & BackupSection, name: string): BackupSetConfig {
  const b = config.backups.find((x) => x.spec.set === name);
  if (!b) {
    const names = config.backups.map((x) => x.spec.set);
    throw new UnknownBackupSet(
      `no backup set "${name}" in ${config.file}; defined sets: ${names.join(', ') || '(none)'}`,
    );
  }
  return b;
}

/** Starts backup:<set>; refuses with BackupInProgress while one runs (scheduled or manual). */
export async function startBackup(
  client: Client,
  spec: BackupSetSpec,
  trigger: 'manual' | 'api' = 'api',
): Promise<WorkflowHandle<typeof backupWorkflow>> {
  const workflowId = BACKUP_IDS.backupWorkflow(spec.set);
  try {
    return await client.workflow.start<typeof backupWorkflow>(BACKUP_WORKFLOWS.backup, {
      workflowId,
      taskQueue: SHARED_TASK_QUEUE,
      args: [{ spec, trigger }],
      typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backup, spec.set, spec.host),
      staticSummary: `backup of ${spec.set} on ${spec.host} (${trigger})`,
      workflowIdConflictPolicy: 'FAIL',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      let since = '';
      try {
        const d = await client.workflow.getHandle(workflowId).describe();
        since = `, started ${d.startTime.toISOString()}`;
      } catch {
        /* gone meanwhile */
      }
      throw new BackupInProgress(
        `a backup of set ${spec.set} is already in progress (workflow ${workflowId}${since}); not starting another`,
      );
    }
    throw err;
  }
}

export async function runBackup(client: Client, spec: BackupSetSpec): Promise<BackupResult> {
  return (await startBackup(client, spec)).result();
}

/** runBackup that cancels the backup (and waits for it to stop) when `signal` aborts. */
export async function runBackupCancellable(
  client: Client,
  spec: BackupSetSpec,
  signal?: AbortSignal,
): Promise<BackupResult> {
  const handle = await startBackup(client, spec);
  const cancel = (): void => void handle.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await handle.result();
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

export async function listBackups(client: Client, spec: BackupSetSpec): Promise<BackupListResult> {
  return client.workflow.execute<typeof backupListWorkflow>(BACKUP_WORKFLOWS.backupList, {
    workflowId: BACKUP_IDS.backupAdminWorkflow('list', spec.set, oneOffIdTail()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ set: spec.set, host: spec.host, destination: spec.destination }],
    typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backupAdmin, spec.set, spec.host),
  });
}

export async function verifyBackups(
  client: Client,
  spec: BackupSetSpec,
  opts: { ids?: string[]; deep?: boolean } = {},
): Promise<VerifyReport[]> {
  return (await startVerifyBackups(client, spec, opts)).result();
}

/** Starts the verify of a set's backups; its handle's result is the reports. */
export async function startVerifyBackups(
  client: Client,
  spec: BackupSetSpec,
  opts: { ids?: string[]; deep?: boolean } = {},
): Promise<WorkflowHandle<typeof backupVerifyWorkflow>> {
  return client.workflow.start<typeof backupVerifyWorkflow>(BACKUP_WORKFLOWS.backupVerify, {
    workflowId: BACKUP_IDS.backupAdminWorkflow('verify', spec.set, oneOffIdTail()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [
      {
        set: spec.set,
        host: spec.host,
        destination: spec.destination,
        ...(opts.ids ? { ids: opts.ids } : {}),
        deep: opts.deep ?? true,
      },
    ],
    typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backupVerify, spec.set, spec.host),
  });
}

export async function pruneBackups(
  client: Client,
  spec: BackupSetSpec,
  opts: { dryRun: boolean },
): Promise<{ decisions: RetentionDecision[]; removed: string[] }> {
  return client.workflow.execute<typeof backupPruneWorkflow>(BACKUP_WORKFLOWS.backupPrune, {
    workflowId: BACKUP_IDS.backupAdminWorkflow('prune', spec.set, oneOffIdTail()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ spec, dryRun: opts.dryRun }],
    typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backupAdmin, spec.set, spec.host),
  });
}

export async function drillBackup(
  client: Client,
  spec: BackupSetSpec,
  id?: string,
): Promise<RestoreResult & { manifestFiles: number }> {
  return client.workflow.execute<typeof backupDrillWorkflow>(BACKUP_WORKFLOWS.backupDrill, {
    workflowId: BACKUP_IDS.backupAdminWorkflow('drill', spec.set, oneOffIdTail()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ spec, ...(id ? { id } : {}) }],
    typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backupDrill, spec.set, spec.host),
  });
}

export interface RestoreOptions {
  /** Absolute directory on the restoring host; relative, empty or ".." paths are refused. */
  to: string;
  id?: string;
  at?: number;
  /** Host that performs the restore; default the set's host. */
  host?: string;
  keepPrevious?: boolean;
  allowExternalSymlinks?: boolean;
  /**
   * Paths the restore must never replace: every set's destination and sources on the
   * restoring host. `restoreProtection(config, host)` gives them; the set's own destination
   * is always protected.
   */
  protect?: RestoreProtect;
  /** Allow a target that is, contains or lies inside a backed-up source. */
  intoSource?: boolean;
  /** At most this many bytes of restored data per second. */
  maxBytesPerSec?: number;
}

/** Destinations and sources of every set whose host is `host`: what a restore there must not replace. */
export function restoreProtection(config: BaseConfig & BackupSection, host: string): RestoreProtect {
  const sets = config.backups.filter((b) => b.spec.host === host);
  return {
    destinations: sets.map((b) => ({ set: b.spec.set, path: b.spec.destination })),
    sources: sets.flatMap((b) => b.spec.sources.map((s) => ({ set: b.spec.set, path: s.path }))),
  };
}

/**
 * Resolves the backup (by id, time or newest), checks the target on the restoring host (real
 * paths, mount points, free space, another restore in progress) and only then starts
 * restore:<set>:<id>:<host>:<target>.
 */
export async function startRestore(
  client: Client,
  spec: BackupSetSpec,
  opts: RestoreOptions,
): Promise<{ handle: WorkflowHandle<typeof restoreWorkflow>; backup: BackupInfo; check: RestoreCheck }> {
  const bad = restoreTargetError(opts.to);
  if (bad) throw new InvalidRestoreTarget(bad);
  const to = normaliseAbsolute(opts.to);
  const listing = await listBackups(client, spec);
  const backup = pickBackup(
    spec.set,
    listing.backups,
    { ...(opts.id ? { id: opts.id } : {}), ...(opts.at !== undefined ? { at: opts.at } : {}) },
    listing.damaged,
  );
  const host = opts.host ?? spec.host;
  const input: RestoreWorkflowInput = {
    set: spec.set,
    id: backup.id,
    destination: spec.destination,
    target: to,
    keepPrevious: opts.keepPrevious ?? true,
    allowExternalSymlinks: opts.allowExternalSymlinks ?? false,
    ...(opts.protect ? { protect: opts.protect } : {}),
    ...(opts.intoSource ? { intoSource: true } : {}),
    ...(opts.maxBytesPerSec ? { maxBytesPerSec: opts.maxBytesPerSec } : {}),
    host,
  };
  let check: RestoreCheck;
  try {
    check = await client.workflow.execute<typeof restoreCheckWorkflow>(BACKUP_WORKFLOWS.restoreCheck, {
      workflowId: BACKUP_IDS.restoreCheckWorkflow(spec.set, oneOffIdTail()),
      taskQueue: SHARED_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backupAdmin, spec.set, host),
    });
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = innermostCause(err);
    if (cause.type === BACKUP_FAILURES.restoreTargetInvalid) throw new InvalidRestoreTarget(cause.message);
    if (cause.type === BACKUP_FAILURES.restoreInProgress) throw new RestoreInProgress(cause.message);
    if (cause.type === BACKUP_FAILURES.backupNotFound) throw new NoSuchBackup(cause.message);
    throw new RestoreRefused(
      `restore of ${spec.set} backup ${backup.id} into ${to} refused on ${host}: ${cause.message}`,
    );
  }
  const workflowId = BACKUP_IDS.restoreWorkflow(spec.set, backup.id, host, check.target);
  let handle: WorkflowHandle<typeof restoreWorkflow>;
  try {
    handle = await client.workflow.start<typeof restoreWorkflow>(BACKUP_WORKFLOWS.restore, {
      workflowId,
      taskQueue: SHARED_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: searchAttributePairs(BACKUP_KIND.restore, spec.set, host),
      staticSummary: `restore of ${spec.set} backup ${backup.id} into ${check.target} on ${host}`,
      workflowIdConflictPolicy: 'FAIL',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new RestoreInProgress(
        `a restore of backup ${backup.id} of ${spec.set} into ${check.target} on ${host} is already in progress (workflow ${workflowId}); wait for it or cancel it`,
      );
    }
    throw err;
  }
  return { handle, backup, check };
}

/**
 * Restores a backup back into the paths it was taken from (every source directory or file of
 * the backup, each staged beside itself and swapped in only once all are staged; the previous
 * content is kept aside unless keepPrevious is false). Checked on the host first, like
 * startRestore.
 */
export async function startRestoreInPlace(
  client: Client,
  spec: BackupSetSpec,
  opts: Omit<RestoreOptions, 'to' | 'intoSource'>,
): Promise<{
  handle: WorkflowHandle<typeof restoreInPlaceWorkflow>;
  backup: BackupInfo;
  checks: RestoreCheck[];
}> {
  const listing = await listBackups(client, spec);
  const backup = pickBackup(
    spec.set,
    listing.backups,
    { ...(opts.id ? { id: opts.id } : {}), ...(opts.at !== undefined ? { at: opts.at } : {}) },
    listing.damaged,
  );
  const host = opts.host ?? spec.host;
  const sources = backup.sources.map((s) => s.path);
  if (!sources.length)
    throw new InvalidRestoreTarget(
      `backup ${backup.id} of ${spec.set} has no source paths (only command output): restore it with --to`,
    );
  const base = {
    set: spec.set,
    id: backup.id,
    destination: spec.destination,
    keepPrevious: opts.keepPrevious ?? true,
    allowExternalSymlinks: opts.allowExternalSymlinks ?? false,
    ...(opts.protect ? { protect: opts.protect } : {}),
    ...(opts.maxBytesPerSec ? { maxBytesPerSec: opts.maxBytesPerSec } : {}),
  };
  const checks: RestoreCheck[] = [];
  for (const src of sources) {
    try {
      checks.push(
        await client.workflow.execute<typeof restoreCheckWorkflow>(BACKUP_WORKFLOWS.restoreCheck, {
          workflowId: BACKUP_IDS.restoreCheckWorkflow(spec.set, oneOffIdTail()),
          taskQueue: SHARED_TASK_QUEUE,
          args: [{ ...base, target: src, subtree: sourceSubtree(src), intoSource: true, host }],
          typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backupAdmin, spec.set, host),
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const cause = innermostCause(err);
      if (cause.type === BACKUP_FAILURES.restoreInProgress) throw new RestoreInProgress(cause.message);
      throw new RestoreRefused(
        `restore of ${spec.set} backup ${backup.id} in place (${src}) refused on ${host}: ${cause.message}`,
      );
    }
  }
  const workflowId = BACKUP_IDS.restoreWorkflow(spec.set, backup.id, host, 'in-place');
  try {
    const handle = await client.workflow.start<typeof restoreInPlaceWorkflow>(
      BACKUP_WORKFLOWS.restoreInPlace,
      {
        workflowId,
        taskQueue: SHARED_TASK_QUEUE,
        args: [{ ...base, host, sources }],
        typedSearchAttributes: searchAttributePairs(BACKUP_KIND.restore, spec.set, host),
        staticSummary: `restore of ${spec.set} backup ${backup.id} in place on ${host}: ${sources.join(', ')}`,
        workflowIdConflictPolicy: 'FAIL',
      },
    );
    return { handle, backup, checks };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new RestoreInProgress(
        `an in-place restore of backup ${backup.id} of ${spec.set} on ${host} is already in progress (workflow ${workflowId})`,
      );
    throw err;
  }
}

/** startRestore, then waits for the result. */
export async function restore(
  client: Client,
  spec: BackupSetSpec,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const { handle } = await startRestore(client, spec, opts);
  return handle.result();
}

export interface RecoveryPoint {
  set: string;
  host: string;
  /** Start of the newest completed backup, or null when the set has none yet. */
  newestAt: string | null;
  /** Age of the newest backup; a set without one counts from its schedule's creation. */
  ageSeconds: number;
}

/**
 * The recovery point of every scheduled set, from server state only (schedules and completed
 * runs), so that it can be watched while hosts are down: what an RPO alert rule needs.
 */
export async function recoveryPoints(client: Client, now = Date.now()): Promise<RecoveryPoint[]> {
  const prefix = BACKUP_IDS.backupSchedule('');
  const sets = new Map<string, { host: string; since: number }>();
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(prefix)) continue;
    const d = await client.schedule.getHandle(s.scheduleId).describe();
    const host = d.searchAttributes?.HaHost?.[0];
    sets.set(s.scheduleId.slice(prefix.length), {
      host: typeof host === 'string' ? host : 'fleet',
      since: d.info.createdAt.getTime(),
    });
  }
  const newest = new Map<string, number>();
  let seen = 0;
  for await (const w of client.workflow.list({
    query: `WorkflowType = '${BACKUP_WORKFLOWS.backup}' AND ExecutionStatus = 'Completed'`,
  })) {
    if (++seen > 5000) break;
    const set = w.searchAttributes?.HaTarget?.[0];
    if (typeof set !== 'string') continue;
    const at = w.startTime.getTime();
    if ((newest.get(set) ?? 0) < at) newest.set(set, at);
  }
  return [...sets.entries()].map(([set, { host, since }]) => {
    const at = newest.get(set);
    return {
      set,
      host,
      newestAt: at === undefined ? null : new Date(at).toISOString(),
      ageSeconds: Math.max(0, Math.round((now - (at ?? since)) / 1000)),
    };
  });
}
