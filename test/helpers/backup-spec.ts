// A backup set spec for workflow tests with mocked activities: nothing on it is touched.
import type { BackupSetSpec } from '../../src/backup/model/types';

export function backupSpec(set: string, host: string, hooks: BackupSetSpec['hooks']): BackupSetSpec {
  return {
    set,
    host,
    sources: [{ path: '/srv/data', exclude: [] }],
    commands: [],
    destination: '/srv/backups',
    gzipLevel: 6,
    timezone: 'UTC',
    retention: {},
    hooks,
  };
}
