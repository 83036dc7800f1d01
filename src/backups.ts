// Typed client operations for backups and restores: what `hactl backup ...` and `hactl restore`
// do, for programs that start them themselves.
import type { Client, WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import {
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from '@temporalio/client';
import type {
  BackupInfo,
  BackupResult,
  BackupSetSpec,
  RestoreCheck,
  RestoreProtect,
  RestoreResult,
  VerifyReport,
} from './common/backup';
import { normaliseAbsolute, restoreTargetError } from './common/backup';
import { ERROR_TYPES } from './common/errors';
import { IDS, KIND, searchAttributePairs, SHARED_TASK_QUEUE, WORKFLOW_TYPES } from './common/constants';
import { parseTimeInput } from './common/time';
import type { RetentionDecision } from './common/retention';
import type { BackupSetConfig, HaConfig } from './config/load';
import type { BackupListResult } from '../workflows/backup-admin';
import type { RestoreWorkflowInput } from '../workflows/restore';

export class UnknownBackupSet extends Error {
  override name = 'UnknownBackupSet';
}

export class BackupInProgress extends Error {
  override name = 'BackupInProgress';
}

export class NoSuchBackup extends Error {
  override name = 'NoSuchBackup';
}

export function findSet(config: HaConfig, name: string): BackupSetConfig {
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
): Promise<WorkflowHandle> {
  try {
    return await client.workflow.start(WORKFLOW_TYPES.backup, {
      workflowId: IDS.backupWorkflow(spec.set),
      taskQueue: SHARED_TASK_QUEUE,
      args: [{ spec, trigger }],
      typedSearchAttributes: searchAttributePairs(KIND.backup, spec.set, spec.host),
      staticSummary: `backup of ${spec.set} on ${spec.host} (${trigger})`,
      workflowIdConflictPolicy: 'FAIL',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      let since = '';
      try {
        const d = await client.workflow.getHandle(IDS.backupWorkflow(spec.set)).describe();
        since = `, started ${d.startTime.toISOString()}`;
      } catch {
        /* gone meanwhile */
      }
      throw new BackupInProgress(
        `a backup of set ${spec.set} is already in progress (workflow ${IDS.backupWorkflow(spec.set)}${since}); not starting another`,
      );
    }
    throw err;
  }
}

export async function runBackup(client: Client, spec: BackupSetSpec): Promise<BackupResult> {
  const handle = await startBackup(client, spec);
  return (await handle.result()) as BackupResult;
}

export async function listBackups(client: Client, spec: BackupSetSpec): Promise<BackupListResult> {
  return client.workflow.execute(WORKFLOW_TYPES.backupList, {
    workflowId: IDS.backupAdminWorkflow('list', spec.set, Date.now()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ set: spec.set, host: spec.host, destination: spec.destination }],
    typedSearchAttributes: searchAttributePairs(KIND.backupAdmin, spec.set, spec.host),
  });
}

export async function verifyBackups(
  client: Client,
  spec: BackupSetSpec,
  opts: { ids?: string[]; deep?: boolean } = {},
): Promise<VerifyReport[]> {
  return client.workflow.execute(WORKFLOW_TYPES.backupVerify, {
    workflowId: IDS.backupAdminWorkflow('verify', spec.set, Date.now()),
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
    typedSearchAttributes: searchAttributePairs(KIND.backupVerify, spec.set, spec.host),
  });
}

export async function pruneBackups(
  client: Client,
  spec: BackupSetSpec,
  opts: { dryRun: boolean },
): Promise<{ decisions: RetentionDecision[]; removed: string[] }> {
  return client.workflow.execute(WORKFLOW_TYPES.backupPrune, {
    workflowId: IDS.backupAdminWorkflow('prune', spec.set, Date.now()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ spec, dryRun: opts.dryRun }],
    typedSearchAttributes: searchAttributePairs(KIND.backupAdmin, spec.set, spec.host),
  });
}

export async function drillBackup(
  client: Client,
  spec: BackupSetSpec,
  id?: string,
): Promise<RestoreResult & { manifestFiles: number }> {
  return client.workflow.execute(WORKFLOW_TYPES.backupDrill, {
    workflowId: IDS.backupAdminWorkflow('drill', spec.set, Date.now()),
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ spec, ...(id ? { id } : {}) }],
    typedSearchAttributes: searchAttributePairs(KIND.backupDrill, spec.set, spec.host),
  });
}

/** Text given as a time that is not one (exit 2, bad input). */
export class InvalidTime extends Error {
  override name = 'InvalidTime';
}

/**
 * A point in time as operators type it: ISO 8601 ("2026-11-27T02:00:00Z", "2026-11-27 02:00",
 * "2026-11-27"), or relative ("90m ago", "2d ago"). Times without an offset are UTC. Dates that
 * do not exist and anything else are refused with InvalidTime.
 */
export function parseTime(text: string, nowMs = Date.now()): number {
  const r = parseTimeInput(text, nowMs);
  if ('error' in r) throw new InvalidTime(r.error);
  return r.ms;
}

/** Picks a backup by id, by time (newest at or before it) or the newest. Pure. */
export function pickBackup(
  set: string,
  backups: readonly BackupInfo[],
  sel: { id?: string; at?: number },
  damaged: ReadonlyArray<{ id: string; reason: string }> = [],
): BackupInfo {
  const broken = sel.id ? damaged.find((d) => d.id === sel.id) : undefined;
  if (broken) {
    throw new NoSuchBackup(
      `backup ${broken.id} of ${set} is damaged: ${broken.reason}; nothing was written (see hactl backup verify ${set})`,
    );
  }
  const sorted = [...backups].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : 1),
  );
  if (sorted.length === 0) throw new NoSuchBackup(`set ${set} has no backups yet`);
  if (sel.id) {
    const hit = sorted.find((b) => b.id === sel.id);
    if (!hit)
      throw new NoSuchBackup(
        `set ${set} has no backup ${sel.id}; newest is ${sorted.at(-1)!.id} (see hactl backup list ${set})`,
      );
    return hit;
  }
  if (sel.at !== undefined) {
    const eligible = sorted.filter((b) => Date.parse(b.createdAt) <= sel.at!);
    if (eligible.length === 0) {
      throw new NoSuchBackup(
        `no backup of ${set} at or before ${new Date(sel.at).toISOString()}; available: ${sorted[0]!.createdAt} (${sorted[0]!.id}) ` +
          `to ${sorted.at(-1)!.createdAt} (${sorted.at(-1)!.id}), ${sorted.length} backup(s)`,
      );
    }
    return eligible.at(-1)!;
  }
  return sorted.at(-1)!;
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

/** Bad restore target: refused before anything runs (exit 2). */
export class InvalidRestoreTarget extends Error {
  override name = 'InvalidRestoreTarget';
}

/** Another restore into the same directory is running (exit 1). */
export class RestoreInProgress extends Error {
  override name = 'RestoreInProgress';
}

/** A restore's preflight on its host failed for a reason that is not bad input (exit 1). */
export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

/** Destinations and sources of every set whose host is `host`: what a restore there must not replace. */
export function restoreProtection(config: HaConfig, host: string): RestoreProtect {
  const sets = config.backups.filter((b) => b.spec.host === host);
  return {
    destinations: sets.map((b) => ({ set: b.spec.set, path: b.spec.destination })),
    sources: sets.flatMap((b) => b.spec.sources.map((s) => ({ set: b.spec.set, path: s.path }))),
  };
}

function innermost(err: unknown): { type?: string; message: string } {
  let e = err as { cause?: unknown; message?: string; type?: string };
  while (e?.cause) e = e.cause;
  return { ...(e?.type ? { type: e.type } : {}), message: e?.message ?? String(err) };
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
): Promise<{ handle: WorkflowHandle; backup: BackupInfo; check: RestoreCheck }> {
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
    check = await client.workflow.execute(WORKFLOW_TYPES.restoreCheck, {
      workflowId: IDS.restoreCheckWorkflow(spec.set, Date.now()),
      taskQueue: SHARED_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: searchAttributePairs(KIND.backupAdmin, spec.set, host),
    });
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = innermost(err);
    if (cause.type === ERROR_TYPES.restoreTargetInvalid) throw new InvalidRestoreTarget(cause.message);
    if (cause.type === ERROR_TYPES.restoreInProgress) throw new RestoreInProgress(cause.message);
    if (cause.type === ERROR_TYPES.backupNotFound) throw new NoSuchBackup(cause.message);
    throw new RestoreRefused(
      `restore of ${spec.set} backup ${backup.id} into ${to} refused on ${host}: ${cause.message}`,
    );
  }
  const workflowId = IDS.restoreWorkflow(spec.set, backup.id, host, check.target);
  let handle: WorkflowHandle;
  try {
    handle = await client.workflow.start(WORKFLOW_TYPES.restore, {
      workflowId,
      taskQueue: SHARED_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: searchAttributePairs(KIND.restore, spec.set, host),
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

/** startRestore, then waits for the result. */
export async function restore(
  client: Client,
  spec: BackupSetSpec,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const { handle } = await startRestore(client, spec, opts);
  return (await handle.result()) as RestoreResult;
}

export interface BackupSetStatus {
  set: string;
  host: string;
  newest: { id: string; createdAt: string; files: number; bytesOut: number; verified: boolean } | null;
  /** Age of the newest verified backup: the recovery point. */
  recoveryPointSeconds: number | null;
  lastFailure: { at: string; workflowId: string } | null;
  nextRunAt: string | null;
  running: boolean;
}

/** From server state only (workflow results and schedules), so it works when hosts are down. */
export async function backupStatus(
  client: Client,
  config: HaConfig,
  nowMs = Date.now(),
): Promise<BackupSetStatus[]> {
  const out: BackupSetStatus[] = [];
  for (const b of config.backups) {
    const set = b.spec.set;
    let newest: BackupSetStatus['newest'] = null;
    let lastFailure: BackupSetStatus['lastFailure'] = null;
    let running = false;
    const query = `WorkflowType = '${WORKFLOW_TYPES.backup}' AND HaTarget = '${set}'`;
    let seen = 0;
    for await (const w of client.workflow.list({ query })) {
      if (++seen > 50) break;
      if (w.status.name === 'RUNNING') running = true;
      else if (
        w.status.name === 'COMPLETED' &&
        (!newest || (w.closeTime && w.closeTime.toISOString() > newest.createdAt))
      ) {
        const r = (await client.workflow.getHandle(w.workflowId, w.runId).result()) as BackupResult;
        if (!newest || r.createdAt > newest.createdAt) {
          newest = {
            id: r.id,
            createdAt: r.createdAt,
            files: r.files,
            bytesOut: r.bytesOut,
            verified: r.verified,
          };
        }
      } else if ((w.status.name === 'FAILED' || w.status.name === 'TIMED_OUT') && w.closeTime) {
        if (!lastFailure || w.closeTime.toISOString() > lastFailure.at)
          lastFailure = { at: w.closeTime.toISOString(), workflowId: `${w.workflowId}/${w.runId}` };
      }
    }
    let nextRunAt: string | null = null;
    try {
      const d = await client.schedule.getHandle(IDS.backupSchedule(set)).describe();
      nextRunAt = d.info.nextActionTimes[0]?.toISOString() ?? null;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (lastFailure && newest && lastFailure.at < newest.createdAt) lastFailure = null;
    out.push({
      set,
      host: b.spec.host,
      newest,
      recoveryPointSeconds: newest
        ? Math.max(0, Math.round((nowMs - Date.parse(newest.createdAt)) / 1000))
        : null,
      lastFailure,
      nextRunAt,
      running,
    });
  }
  return out;
}
