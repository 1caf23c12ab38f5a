export { EXIT, main, type Logger } from './cli.js';
export {
  defineEstate,
  renderModules,
  renderRepositoryFiles,
  renderEstate,
  selectEnvironment,
  type Estate,
  type EstateSpec,
  type RenderOptions,
} from './estate.js';
export { GENERATED_MARK, hasGeneratedHeader, HEADER_LINE, withHeader } from './header.js';
export { environmentReadme, moduleReadme, releaseTag } from './readme.js';
export { keptVolumes, removedStatefulServices } from './removals.js';
export {
  diffTree,
  JOURNAL,
  MANIFEST,
  syncTree,
  TEMP_SUFFIX,
  WriteRefused,
  writeTree,
  type Area,
  type FileTree,
  type KeptVolume,
  type KeptVolumes,
  type OutputFiles,
  type TreeChange,
  type TreeOptions,
  type TreeResult,
} from './tree.js';
export { LOCK, LockBusy, lockOutput } from './lock.js';
export { unifiedDiff } from './unified-diff.js';
export {
  ansibleInventory,
  tofuOutputsSchema,
  type AnsibleInventory,
  type TofuOutputs,
} from './inventory.js';
export { atlantisConfig, atlantisProjects, type AtlantisProject } from './atlantis.js';
export {
  localModuleSource,
  outputBlock,
  PROVIDERS,
  renderEnvironment,
  renderModule,
  REQUIRED_TOFU_VERSION,
  tfvarsExample,
  variableBlock,
  versionsBlock,
  type EnvironmentRenderOptions,
  type ModuleSource,
  type RenderedFiles,
} from './render.js';
export {
  backendExample,
  DEFAULT_STATE,
  remoteStateBlock,
  renderBootstrap,
  s3Backend,
  S3_BACKEND_TOFU_VERSION,
  stateKey,
  type StateSettings,
} from './state.js';
