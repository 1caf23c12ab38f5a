export { dynamic, isDynamicBlock } from './args.js';
export type { Arg, BlockList, BlockTree, DynamicBlock, DynamicIterator } from './args.js';
export {
  DataSource,
  Resource,
  dataSource,
  resource,
  type DataSourceMeta,
  type Dependency,
  type InstanceKey,
  type Lifecycle,
  type ResourceMeta,
} from './resource.js';
export type { DataSourceType, DataSourceTypes, ResourceType, ResourceTypes } from './registry.js';
export { checkAgainstSchema } from './schema-check.js';
export type {
  CtyType,
  NestedType,
  ProviderSchema,
  SchemaAttribute,
  SchemaBlock,
  SchemaBlockType,
} from './schema.js';
export type * from './incus.generated.js';
export type * from './tls.generated.js';
