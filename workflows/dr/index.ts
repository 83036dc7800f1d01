// Workflows of the DR capability, as the worker registers them.
export { drPlanWorkflow } from './plan';
