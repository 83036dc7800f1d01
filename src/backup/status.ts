// Backup's part of `hactl status`: per set the newest verified backup, its age (the recovery
// point), the next scheduled run, and whether the last run failed. From server state only
// (workflow results and schedules), so that it works while hosts are down.
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { formatAge } from '../core/format';
import { formatTable } from '../platform/cli/table';
import type { StatusSection } from '../platform/capability';
import type { BaseConfig } from '../platform/config/load';
import type { BackupSection } from './desired';
import { BACKUP_IDS, BACKUP_WORKFLOWS } from './model/ids';
import type { BackupResult } from './model/types';

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

export async function backupStatus(
  client: Client,
  config: BaseConfig & BackupSection,
  nowMs = Date.now(),
): Promise<BackupSetStatus[]> {
  const out: BackupSetStatus[] = [];
  for (const b of config.backups) {
    const set = b.spec.set;
    let newest: BackupSetStatus['newest'] = null;
    let lastFailure: BackupSetStatus['lastFailure'] = null;
    let running = false;
    const query = `WorkflowType = '${BACKUP_WORKFLOWS.backup}' AND HaTarget = '${set}'`;
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
      const d = await client.schedule.getHandle(BACKUP_IDS.backupSchedule(set)).describe();
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
  collect: async (client, config, now) => (config ? backupStatus(client, config, now) : []),
  render: renderBackupStatus,
};
