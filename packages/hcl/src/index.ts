export * from './ast.js';
export * from './build.js';
export * from './types.js';
export { printExpr, printFile, printTemplate } from './print.js';
export { templateFileProblem } from './text.js';
