export { verifyTree } from './verify-tree.js';
export { summarizeModule, type ModuleSummary, type VariableSummary } from './hcl-module.js';
export type { CheckName, Problem } from './problem.js';
export {
  CHECKERS,
  checkCloudInit,
  checkContent,
  freeLoopbackPort,
  hasChecker,
  runChecker,
  type CheckerName,
  type CheckerResult,
} from './external-tools.js';
