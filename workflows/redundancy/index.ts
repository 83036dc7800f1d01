// Workflows of the redundancy capability, as the worker registers them.
export { redundancyWorkflow } from './controller';
