// Messages of backup:<set>, defined once here and imported by the workflow and every client.
import { defineQuery } from '@temporalio/workflow';

export type BackupStep =
  'pre-hooks' | 'archiving' | 'verifying' | 'manifest' | 'retention' | 'post-hooks' | 'done' | 'failed';

export interface BackupProgress {
  id: string;
  step: BackupStep;
  startedAt: string;
}

/** The run's backup ID and current step. */
export const backupProgressQuery = defineQuery<BackupProgress>('progress');
