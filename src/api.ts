// Typed client API for programs that drive ha-orchestrator: the same operations as hactl.
//   import { connectClient, runBackup, restore, runHealthSnapshot } from 'ha-orchestrator';
// Light on purpose: it loads no Temporal worker, no activity code and no systeminformation
// (a test checks), so that a program that only starts and watches workflows stays small.
import { ALERTS_IDS, ALERTS_KIND } from './alerts/model/ids';
import { BACKUP_IDS, BACKUP_KIND } from './backup/model/ids';
import { DR_IDS, DR_KIND } from './dr/model/ids';
import { FAILOVER_IDS, FAILOVER_KIND } from './failover/model/ids';
import { HEALTH_IDS, HEALTH_KIND } from './health/model/ids';
import { REDUNDANCY_IDS, REDUNDANCY_KIND } from './redundancy/model/ids';

export { connectClient, TemporalUnreachable } from './platform/temporal/connection';
export type { ConnectionFlags, ConnectedClient } from './platform/temporal/connection';
export { loadConfig, parseConfig, applyConfig, collectStatus, desiredState } from './platform/registry-api';
export type { HaConfig } from './platform/registry-api';
export { ConfigError, formatIssue } from './platform/config/issues';
export type { ApplyResult } from './platform/reconcile/apply';
export type { StatusReport, ScheduleStatus } from './platform/status';
export { listLiveHosts } from './platform/hosts';
export type { LiveHost } from './platform/hosts';
export { HaError, BadInput, OperationFailed, EXIT } from './core/errors';
export { SHARED_TASK_QUEUE, hostTaskQueue } from './core/names';
export { SA } from './core/search-attributes';
export { parseTime, InvalidTime } from './core/time';

/** Workflow and schedule IDs of every capability. */
export const IDS = {
  ...HEALTH_IDS,
  ...BACKUP_IDS,
  alertsManager: ALERTS_IDS.manager,
  notifier: ALERTS_IDS.notifier,
  service: REDUNDANCY_IDS.controller,
  failoverGroup: FAILOVER_IDS.controller,
  drRun: DR_IDS.run,
  drDrillSchedule: DR_IDS.drillSchedule,
};
/** Values of the HaKind search attribute. */
export const KIND = {
  ...HEALTH_KIND,
  ...BACKUP_KIND,
  alerts: ALERTS_KIND.manager,
  notify: ALERTS_KIND.notifier,
  alertsAdmin: ALERTS_KIND.admin,
  redundancy: REDUNDANCY_KIND.controller,
  failover: FAILOVER_KIND.controller,
  dr: DR_KIND.run,
  drDrill: DR_KIND.drillSchedule,
};

// Health.
export { runHealthSnapshot, hostState } from './health/client';
export type { HostStatus } from './health/status';
export type * from './health/model/types';
export { hostReportSignal, monitorStateQuery } from '../workflows/health/messages';

// Backups and restores.
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
  restoreProtection,
  BackupInProgress,
  UnknownBackupSet,
  InvalidRestoreTarget,
  RestoreInProgress,
  RestoreRefused,
} from './backup/client';
export type { RestoreOptions } from './backup/client';
export { NoSuchBackup, pickBackup } from './backup/model/selection';
export { backupStatus } from './backup/status';
export type { BackupSetStatus } from './backup/status';
export type * from './backup/model/types';
export type { RetentionPolicy, RetentionDecision } from './backup/model/retention';
export { applyRetention } from './backup/model/retention';
export { backupProgressQuery } from '../workflows/backup/messages';

// Alerts and notifications.
export {
  listAlerts,
  addSilence,
  expireSilence,
  ackAlert,
  sendEvent,
  notifierState,
  AlertsNotConfigured,
  AlertsRequestRefused,
} from './alerts/client';
export type * from './alerts/model/types';
export type { HaEvent } from './core/events';
export { eventSignal } from './core/events';
export {
  alertsQuery,
  addSilenceUpdate,
  expireSilenceUpdate,
  ackUpdate,
  addSilenceSignal,
  expireSilenceSignal,
  ackSignal,
  notifySignal,
  notifierQuery,
} from '../workflows/alerts/messages';
export type {
  AlertView,
  ManagerView,
  NotifierView,
  SilenceRequest,
  AckRequest,
} from '../workflows/alerts/messages';

// Services (redundancy).
export {
  serviceNames,
  serviceState,
  listServices,
  serviceHistory,
  restartService,
  scaleService,
  pauseService,
  ServiceNotFound,
  ServiceRequestRefused,
} from './redundancy/client';
export type * from './redundancy/model/types';
export type { RestartRequest, ScaleRequest, PauseRequest } from './redundancy/model/requests';
export {
  serviceQuery,
  serviceHistoryQuery,
  restartUpdate,
  scaleUpdate,
  pauseUpdate,
  restartSignal,
  scaleSignal,
  pauseSignal,
} from '../workflows/redundancy/messages';

// Failover groups.
export {
  groupNames,
  groupState,
  listGroups,
  failoverHistory,
  switchover,
  forceFailover,
  pauseGroup,
  GroupNotFound,
  FailoverRequestRefused,
} from './failover/client';
export type {
  GroupSpec,
  GroupView,
  NodeView,
  NodeSpec,
  FailoverEvent,
  Candidate,
  Role,
} from './failover/model/types';
export type { SwitchoverRequest, ForceRequest } from './failover/model/requests';
export {
  groupQuery,
  failoverHistoryQuery,
  switchoverUpdate,
  forceFailoverUpdate,
  pauseGroupUpdate,
  switchoverSignal,
  forceFailoverSignal,
  pauseGroupSignal,
} from '../workflows/failover/messages';

// DR plans.
export {
  findPlan,
  startRun,
  runState,
  runReport,
  decide,
  listRuns,
  runWorkflowId,
  UnknownPlan,
  RunNotFound,
  DecisionRefused,
} from './dr/client';
export type { StartRunOptions, RunSummary } from './dr/client';
export type {
  PlanSpec,
  StepSpec,
  StepAction,
  StepState,
  StepView,
  RunView,
  RunPhase,
  Decision,
  Contact,
  DrRunInput,
} from './dr/model/types';
export type { RunReport, StepReport } from './dr/model/report';
export { buildReport, renderReportMarkdown } from './dr/model/report';
export type { DecisionRequest, DecisionVerb } from './dr/model/requests';
export { runQuery, reportQuery, decisionUpdates, decisionSignals } from '../workflows/dr/messages';
