// Every workflow the worker registers. One workflow per file.
export { healthSnapshotWorkflow } from './health-snapshot';
export { hostMonitorWorkflow } from './host-monitor';
