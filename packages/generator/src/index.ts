export { EXIT, main, type Logger } from './cli.js';
export {
  defineEstate,
  renderModules,
  renderRepositoryFiles,
  renderEstate,
  type Estate,
  type EstateSpec,
  type RenderOptions,
} from './estate.js';
export {
  GENERATED_MARK,
  hasGeneratedHeader,
  headerLine,
  withHeader,
  type Producer,
} from './header.js';
export { environmentReadme, moduleReadme, releaseTag } from './readme.js';
export { removedStatefulServices } from './removals.js';
export {
  diffFiles,
  diffTree,
  readTree,
  writeFiles,
  writeTree,
  type FileTree,
  type TreeChange,
} from './tree.js';
export {
  ansibleInventory,
  tofuOutputsSchema,
  type AnsibleInventory,
  type TofuOutputs,
} from './inventory.js';
export {
  ATLANTIS_DATA_DIR,
  atlantisConfig,
  atlantisProjects,
  type AtlantisProject,
} from './atlantis.js';
