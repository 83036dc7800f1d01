// Backup's part of the state metrics (`hactl metrics-server`), from its `hactl status` data. Pure.
import type { MetricFamily } from '../platform/metrics/exposition';
import { epochSeconds } from '../platform/metrics/exposition';
import type { BackupSetStatus } from './status';

export function backupMetrics(sets: BackupSetStatus[] | null | undefined, now: number): MetricFamily[] {
  const all = sets ?? [];
  const per = (value: (b: BackupSetStatus) => number | boolean | null) =>
    all.map((b) => ({ labels: { set: b.set, host: b.host }, value: value(b) }));
  const verified = (b: BackupSetStatus) => (b.newest?.verified ? b.newest : null);
  const run = (b: BackupSetStatus) => b.lastRun;
  return [
    {
      name: 'ha_backup_newest_timestamp_seconds',
      help: 'Creation time of the newest verified backup of the set (its recovery point), seconds since the epoch.',
      type: 'gauge',
      samples: per((b) => epochSeconds(verified(b)?.createdAt)),
    },
    {
      name: 'ha_backup_recovery_point_age_seconds',
      help: 'Age of the newest verified backup of the set: the data lost if the host died now.',
      type: 'gauge',
      samples: per((b) => {
        const t = epochSeconds(verified(b)?.createdAt);
        return t === null ? null : Math.max(0, Math.round(now / 1000 - t));
      }),
    },
    {
      name: 'ha_backup_archive_bytes',
      help: 'Size of the archive of the newest verified backup of the set.',
      type: 'gauge',
      samples: per((b) => verified(b)?.bytesOut ?? null),
    },
    {
      name: 'ha_backup_files',
      help: 'Files in the newest verified backup of the set.',
      type: 'gauge',
      samples: per((b) => verified(b)?.files ?? null),
    },
    {
      name: 'ha_backup_last_run_success',
      help: 'Whether the latest finished backup run of the set succeeded (1) or failed, timed out or was stopped (0).',
      type: 'gauge',
      samples: per((b) => (run(b) ? run(b)!.status === 'COMPLETED' : null)),
    },
    {
      name: 'ha_backup_last_run_duration_seconds',
      help: 'How long the latest finished backup run of the set took, start to end.',
      type: 'gauge',
      samples: per((b) => {
        const r = run(b);
        return r ? Math.max(0, (Date.parse(r.closedAt) - Date.parse(r.startedAt)) / 1000) : null;
      }),
    },
    {
      name: 'ha_backup_last_run_timestamp_seconds',
      help: 'When the latest finished backup run of the set ended, seconds since the epoch.',
      type: 'gauge',
      samples: per((b) => epochSeconds(run(b)?.closedAt)),
    },
    {
      name: 'ha_backup_running',
      help: 'Whether a backup run of the set is in progress.',
      type: 'gauge',
      samples: per((b) => b.running),
    },
  ];
}
