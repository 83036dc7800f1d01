// Workflows of the failover capability, as the worker registers them.
export { failoverGroupWorkflow } from './group';
