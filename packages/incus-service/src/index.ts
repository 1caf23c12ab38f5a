export * from './cloud-init.js';
export * from './links.js';
export * from './log-shipping.js';
export * from './service.js';
export * from './service-options.js';
