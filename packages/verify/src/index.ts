export { verifyTree } from './verify-tree.js';
export { summarizeModule, type ModuleSummary, type VariableSummary } from './hcl-module.js';
export type { CheckName, Problem } from './problem.js';
