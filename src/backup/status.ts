// Backup's part of `hactl status`: per set the newest verified backup, its age (the recovery
// point), the next scheduled run, and whether the last run failed. From server state only
// (workflow results and schedules), so that it works while hosts are down.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { formatAge } from '../core/format';
import { formatTable } from '../platform/cli/table';
import type { StatusContext, StatusSection } from '../platform/capability';
import { mapLimit, SERVER_CONCURRENCY } from '../platform/concurrency';
import { statusContext } from '../platform/status';
import type { BaseConfig } from '../platform/config/load';
import type { BackupSection } from './desired';
import { backupMetrics } from './metrics';
import { BACKUP_IDS, BACKUP_WORKFLOWS } from './model/ids';
import type { BackupResult } from './model/types';

export interface BackupSetStatus {
  set: string;
  host: string;
  newest: { id: string; createdAt: string; files: number; bytesOut: number; verified: boolean } | null;
  /** Age of the newest verified backup: the recovery point. */
  recoveryPointSeconds: number | null;
  lastFailure: { at: string; workflowId: string } | null;
  /** The latest run that has ended (backup:<set>, by hand or by the schedule). */
  lastRun: LastRun | null;
  nextRunAt: string | null;
  running: boolean;
}

export interface LastRun {
  /** COMPLETED, FAILED, TIMED_OUT, TERMINATED or CANCELLED. */
  status: string;
  startedAt: string;
  closedAt: string;
}

type Newest = BackupSetStatus['newest'];

function lastRunOf(w: Pick<WorkflowExecutionInfo, 'status' | 'startTime' | 'closeTime'>): LastRun | null {
  if (!w.closeTime) return null;
  return { status: w.status.name, startedAt: w.startTime.toISOString(), closedAt: w.closeTime.toISOString() };
}

function newestOf(r: BackupResult): NonNullable<Newest> {
  return { id: r.id, createdAt: r.createdAt, files: r.files, bytesOut: r.bytesOut, verified: r.verified };
}

/**
 * The newest backup of a set and the last failure after it. Its runs share the workflow ID
 * backup:<set>: usually the latest run says it all (one describe, one result); only after a
 * failure, or while one runs, are the earlier runs listed.
 */
async function newestBackup(
  client: Client,
  set: string,
): Promise<{
  newest: Newest;
  lastFailure: BackupSetStatus['lastFailure'];
  lastRun: LastRun | null;
  running: boolean;
}> {
  let latest;
  try {
    latest = await client.workflow.getHandle(BACKUP_IDS.backupWorkflow(set)).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      return { newest: null, lastFailure: null, lastRun: null, running: false };
    throw err;
  }
  if (latest.status.name === 'COMPLETED') {
    const r = (await client.workflow.getHandle(latest.workflowId, latest.runId).result()) as BackupResult;
    return { newest: newestOf(r), lastFailure: null, lastRun: lastRunOf(latest), running: false };
  }
  let newest: Newest = null;
  let lastFailure: BackupSetStatus['lastFailure'] = null;
  let lastRun: LastRun | null = null;
  let running = false;
  const query = `WorkflowType = '${BACKUP_WORKFLOWS.backup}' AND HaTarget = '${set}'`;
  let seen = 0;
  for await (const w of client.workflow.list({ query })) {
    if (++seen > 50) break;
    if (w.closeTime && (!lastRun || w.closeTime.toISOString() > lastRun.closedAt)) lastRun = lastRunOf(w);
    if (w.status.name === 'RUNNING') running = true;
    else if (
      w.status.name === 'COMPLETED' &&
      (!newest || (w.closeTime && w.closeTime.toISOString() > newest.createdAt))
    ) {
      const r = (await client.workflow.getHandle(w.workflowId, w.runId).result()) as BackupResult;
      if (!newest || r.createdAt > newest.createdAt) newest = newestOf(r);
    } else if ((w.status.name === 'FAILED' || w.status.name === 'TIMED_OUT') && w.closeTime) {
      if (!lastFailure || w.closeTime.toISOString() > lastFailure.at)
        lastFailure = { at: w.closeTime.toISOString(), workflowId: `${w.workflowId}/${w.runId}` };
    }
  }
  if (lastFailure && newest && lastFailure.at < newest.createdAt) lastFailure = null;
  return { newest, lastFailure, lastRun, running };
}

export async function backupStatus(
  client: Client,
  config: BaseConfig & BackupSection,
  nowMs = Date.now(),
  ctx: StatusContext = statusContext(client),
): Promise<BackupSetStatus[]> {
  const schedules = await ctx.scheduleStatus(
    config.backups.map((b) => BACKUP_IDS.backupSchedule(b.spec.set)),
  );
  // A fleet has a thousand sets: several at a time, each a round trip or two.
  return mapLimit(config.backups, SERVER_CONCURRENCY, async (b): Promise<BackupSetStatus> => {
    const set = b.spec.set;
    const { newest, lastFailure, lastRun, running } = await newestBackup(client, set);
    return {
      set,
      host: b.spec.host,
      newest,
      recoveryPointSeconds: newest
        ? Math.max(0, Math.round((nowMs - Date.parse(newest.createdAt)) / 1000))
        : null,
      lastFailure,
      lastRun,
      nextRunAt: schedules.get(BACKUP_IDS.backupSchedule(set))?.nextRunAt ?? null,
      running,
    };
  });
}

/** The backup sets table of `hactl status`; nothing when there are no sets. Pure. */
export function renderBackupStatus(sets: BackupSetStatus[]): string[] {
  if (sets.length === 0) return [];
  return formatTable(
    ['BACKUP SET', 'HOST', 'NEWEST VERIFIED', 'RECOVERY POINT', 'NEXT RUN', 'NOTE'],
    sets.map((b) => [
      b.set,
      b.host,
      b.newest ? `${b.newest.id}` : '-',
      formatAge(b.recoveryPointSeconds),
      b.nextRunAt ?? 'not scheduled',
      [b.running ? 'running now' : '', b.lastFailure ? `last run failed ${b.lastFailure.at}` : '']
        .filter(Boolean)
        .join('; '),
    ]),
  );
}

export const backupStatusSection: StatusSection<BackupSection, BackupSetStatus[]> = {
  key: 'backups',
  collect: async (client, config, now, ctx) => (config ? backupStatus(client, config, now, ctx) : []),
  render: renderBackupStatus,
  metrics: backupMetrics,
};
