// The health capability's workflows, as the worker registers them (one per file).
export { healthSnapshotWorkflow } from './health-snapshot';
export { hostMonitorWorkflow } from './host-monitor';
