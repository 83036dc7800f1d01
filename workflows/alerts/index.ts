// The alerts capability's workflows, as the worker registers them.
export { alertsManagerWorkflow } from './manager';
export { notifierWorkflow } from './notifier';
