// What `hactl apply` keeps for backups: per set a backup Schedule, and optional verify and
// drill Schedules. Runs of one set share the workflow ID backup:<set>, so they never overlap.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { BaseConfig, ScheduleConfig } from '../platform/config/load';
import type { DesiredSchedule } from '../platform/reconcile/desired';
import { describeSchedule, schedule, scheduleSpec } from '../platform/reconcile/desired';
import type { backupDrillWorkflow } from '../../workflows/backup/backup-drill';
import type { backupVerifyWorkflow } from '../../workflows/backup/backup-verify';
import type { scheduledBackupWorkflow } from '../../workflows/backup/scheduled-backup';
import type { BackupSetConfig } from './config';
import { BACKUP_IDS, BACKUP_KIND, BACKUP_WORKFLOWS } from './model/ids';

export type BackupSection = { backups: BackupSetConfig[] };

export function backupDesired(config: BaseConfig & BackupSection): DesiredSchedule[] {
  return config.backups.flatMap(backupSchedules);
}

function backupSchedules(b: BackupSetConfig): DesiredSchedule[] {
  const { spec } = b;
  const common = {
    target: spec.set,
    host: spec.host,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
  };
  const when = (s: ScheduleConfig): string => describeSchedule(s, spec.timezone);
  const out: DesiredSchedule[] = [];
  if (b.schedule) {
    out.push(
      schedule<typeof scheduledBackupWorkflow>({
        ...common,
        id: BACKUP_IDS.backupSchedule(spec.set),
        kind: BACKUP_KIND.backup,
        summary: `backup of ${spec.set} on ${spec.host}, ${when(b.schedule)}`,
        spec: scheduleSpec(b.schedule, spec.timezone, b.jitterMs),
        workflowType: BACKUP_WORKFLOWS.scheduledBackup,
        args: [{ spec, trigger: 'schedule' }],
      }),
    );
  }
  if (b.verify) {
    const { sample } = b.verify;
    out.push(
      schedule<typeof backupVerifyWorkflow>({
        ...common,
        id: BACKUP_IDS.backupVerifySchedule(spec.set),
        kind: BACKUP_KIND.backupVerify,
        summary: `verify ${sample} backup(s) of ${spec.set}, ${when(b.verify.schedule)}`,
        spec: scheduleSpec(b.verify.schedule, spec.timezone, b.jitterMs),
        workflowType: BACKUP_WORKFLOWS.backupVerify,
        args: [{ set: spec.set, host: spec.host, destination: spec.destination, sample, deep: true }],
      }),
    );
  }
  if (b.drill) {
    out.push(
      schedule<typeof backupDrillWorkflow>({
        ...common,
        id: BACKUP_IDS.backupDrillSchedule(spec.set),
        kind: BACKUP_KIND.backupDrill,
        summary: `restore drill of ${spec.set}, ${when(b.drill.schedule)}`,
        spec: scheduleSpec(b.drill.schedule, spec.timezone, b.jitterMs),
        workflowType: BACKUP_WORKFLOWS.backupDrill,
        args: [{ spec }],
      }),
    );
  }
  return out;
}
