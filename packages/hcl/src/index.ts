export * from './ast.js';
export * from './build.js';
export * from './types.js';
