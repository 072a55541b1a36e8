// Every workflow type the `cascade` task queue serves. The worker bundles this file.
export { cascadeWorkflow } from './cascade';
export { healthCheckWorkflow } from './health-check';
export { monitorWorkflow } from './monitor';
export { controlWorkflow } from './control';
