export { evaluate, childScope, renderTemplate, scopeOf, type Scope } from './evaluate.js';
export { jsonEncode, yamlEncode } from './encode.js';
export { FUNCTIONS } from './functions.js';
export {
  MODULE_PATH,
  previewModule,
  previewModuleCall,
  writtenFiles,
  type ModulePreview,
  type PreviewFile,
} from './preview.js';
export { convert, typeOf, unify } from './types.js';
export {
  ConfigurationError,
  EvaluationError,
  UNKNOWN,
  UNKNOWN_TEXT,
  isSet,
  setOf,
  type Unknown,
  type Value,
  type ValueList,
  type ValueObject,
} from './value.js';
