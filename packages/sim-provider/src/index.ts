export type { ExistingObject, SimulatedCluster } from './daemon.js';
export { INCUS_OS_DEFAULTS } from './incus.js';
export { SIMULATED_PROVIDERS, simulatedProvider, type SimulatedProvider } from './schema.js';
export { serveAsPlugin, serveForReattach, type RunningProvider } from './server.js';
export {
  createEngineWorkspace,
  findEngine,
  type Engine,
  type EngineResult,
  type EngineWorkspace,
} from './workspace.js';
export { pem, selfSignedCertificate, type CertificateRequest } from './x509.js';
