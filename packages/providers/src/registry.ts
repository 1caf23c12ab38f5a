// Every provider Atlas builds for. Adding a provider: drop its schema into
// schemas/, run `pnpm generate-types`, and extend the four lists below.
import type { BlockTree } from './args.js';
import {
  incusDataSourceBlocks,
  incusResourceBlocks,
  type IncusDataSourceTypes,
  type IncusResourceTypes,
} from './incus.generated.js';
import {
  tlsDataSourceBlocks,
  tlsResourceBlocks,
  type TlsDataSourceTypes,
  type TlsResourceTypes,
} from './tls.generated.js';

/** Resource type name → `{ args, attrs }`. */
export interface ResourceTypes extends IncusResourceTypes, TlsResourceTypes {}
/** Data source type name → `{ args, attrs }`. */
export interface DataSourceTypes extends IncusDataSourceTypes, TlsDataSourceTypes {}

export type ResourceType = keyof ResourceTypes & string;
export type DataSourceType = keyof DataSourceTypes & string;

export const resourceBlocks: Readonly<Record<string, BlockTree>> = {
  ...incusResourceBlocks,
  ...tlsResourceBlocks,
};
export const dataSourceBlocks: Readonly<Record<string, BlockTree>> = {
  ...incusDataSourceBlocks,
  ...tlsDataSourceBlocks,
};
