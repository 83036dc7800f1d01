// Backups: scheduled, verified, retained archives per set, and restores that never touch what
// they were not asked to. This descriptor is all the registry loads; the rest comes on use.
import type { Capability } from '../platform/capability';
import { lazy } from '../platform/capability';
import type { parts } from './parts';
import type { BackupSection } from './desired';
import { BACKUP_BAD_INPUT, BACKUP_NON_RETRYABLE } from './model/failures';
import { BACKUP_KIND, BACKUP_OWNED_ID_PREFIXES, BACKUP_WORKFLOWS } from './model/ids';

export const backup: Capability<BackupSection> = {
  name: 'backup',
  commands: [
    {
      name: 'backup',
      summary: 'run, list, verify, prune and drill the backups of a set',
      load: () => import('./cli/backup'),
    },
    {
      name: 'restore',
      summary: 'restore a backup of a set into a directory: checksum, staging, checks, then a swap',
      load: () => import('./cli/restore'),
    },
  ],
  ownedIdPrefixes: BACKUP_OWNED_ID_PREFIXES,
  controllerKinds: [],
  workflowTypes: Object.values(BACKUP_WORKFLOWS),
  failures: { nonRetryable: BACKUP_NON_RETRYABLE, badInput: BACKUP_BAD_INPUT },
  // Restores, manual backups, prunes, verifies and drills started by a person (hactl, the UI).
  audit: {
    starts: [BACKUP_KIND.restore, BACKUP_KIND.backup, BACKUP_KIND.backupAdmin],
    readOnly: ['backup-list:', 'restore-check:'],
  },
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, so that `hactl --version` stays light
  load: lazy(() => (require('./parts') as { parts: typeof parts }).parts),
};
