// The backup capability's heavier parts, loaded on first use (see ./index.ts).
import type { CapabilityParts } from '../platform/capability';
import { backupSection } from './config';
import { backupDesired } from './desired';
import type { BackupSection } from './desired';
import { backupStatusSection } from './status';

export const parts: CapabilityParts<BackupSection> = {
  config: backupSection,
  desired: backupDesired,
  status: backupStatusSection,
};
