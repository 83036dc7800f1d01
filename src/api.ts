// Typed client API for programs that drive ha-orchestrator: the same operations as hactl.
//   import { connectClient, runBackup, restore, runHealthSnapshot } from 'ha-orchestrator';
import type { Client } from '@temporalio/client';
import { IDS, KIND, searchAttributePairs, SHARED_TASK_QUEUE, WORKFLOW_TYPES } from './common/constants';
import type { HealthSnapshotInput, HealthSnapshotResult, MonitorState } from './common/health';
import { hostReportSignal, monitorStateQuery } from '../workflows/host-monitor';

export { connectClient } from './temporal/connection';
export type { ConnectionFlags, ConnectedClient } from './temporal/connection';
export { loadConfig, parseConfig } from './config/load';
export type { HaConfig } from './config/load';
export { ConfigError, formatIssue } from './config/issues';
export { applyConfig } from './reconcile/apply';
export type { ApplyResult } from './reconcile/apply';
export { collectStatus } from './status';
export type { StatusReport, HostStatus } from './status';
export { listLiveHosts } from './hosts';
export type { LiveHost } from './hosts';
export { IDS, KIND, SA, SHARED_TASK_QUEUE, hostTaskQueue } from './common/constants';
export type * from './common/health';
export { hostReportSignal, monitorStateQuery };
export {
  findSet,
  startBackup,
  runBackup,
  listBackups,
  verifyBackups,
  pruneBackups,
  drillBackup,
  startRestore,
  restore,
  parseTime,
  pickBackup,
  backupStatus,
  BackupInProgress,
  NoSuchBackup,
  UnknownBackupSet,
  InvalidTime,
  InvalidRestoreTarget,
  RestoreInProgress,
  RestoreRefused,
  restoreProtection,
} from './backups';
export type { RestoreOptions, BackupSetStatus } from './backups';
export type * from './common/backup';
export type { RetentionPolicy, RetentionDecision } from './common/retention';
export { applyRetention } from './common/retention';
export { backupProgressQuery } from '../workflows/backup';

/** Takes a health snapshot of the given hosts now and waits for the result. */
export async function runHealthSnapshot(
  client: Client,
  input: HealthSnapshotInput,
): Promise<HealthSnapshotResult> {
  return client.workflow.execute(WORKFLOW_TYPES.healthSnapshot, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId: `${IDS.healthWorkflow()}-adhoc-${Date.now()}`,
    args: [input],
    typedSearchAttributes: searchAttributePairs(KIND.health, 'adhoc'),
  });
}

/** The latest state and snapshot of one host, from its monitor:<host> controller. */
export async function hostState(client: Client, host: string): Promise<MonitorState> {
  return client.workflow.getHandle(IDS.monitor(host)).query(monitorStateQuery);
}
