import {
  defineModule,
  type ModuleDefinition,
  type OutputSpecs,
  type VariableSpecs,
} from '@atlas/core';
import { call, type Block, type BodyItem, type Expr } from '@atlas/hcl';
import { resource, type BlockList, type IncusInstanceFileArgs } from '@atlas/providers';

export interface OciAdjustments {
  /** Files pushed into the instance before it first starts. */
  readonly files: BlockList<IncusInstanceFileArgs>;
  /** Extra `config` of the data volume, merged after the size and snapshot settings. */
  readonly dataVolumeConfig: Expr;
}

const isResource = (block: Block, type: string, name: string): boolean =>
  block.type === 'resource' && block.labels[0] === type && block.labels[1] === name;

/**
 * `incusServiceModule` shapes a system container, configured by cloud-init.
 * An OCI application container has no cloud-init and runs as the image's
 * unprivileged user, so it needs two things the building block has no hook
 * for: files pushed into the instance (`file` blocks on `incus_instance.this`)
 * and a data volume whose root that user owns (`initial.*` volume config).
 * This returns the same module with both added.
 */
export function withOciAdjustments<Vs extends VariableSpecs, Os extends OutputSpecs>(
  service: ModuleDefinition<Vs, Os>,
  adjustments: OciAdjustments,
): ModuleDefinition<Vs, Os> {
  // Typed through the provider schema, then lifted out of this scratch resource.
  const fileBlocks = resource('incus_instance', 'files', {
    name: 'files',
    file: adjustments.files,
  }).block.body.filter((item): item is Block => item.kind === 'block');

  let instanceFound = false;
  let volumeFound = false;
  const resources = service.body.resources.map((item): BodyItem => {
    if (item.kind !== 'block') return item;
    if (isResource(item, 'incus_instance', 'this')) {
      instanceFound = true;
      return { ...item, body: [...item.body, ...fileBlocks] };
    }
    if (isResource(item, 'incus_storage_volume', 'data')) {
      volumeFound = true;
      return {
        ...item,
        body: item.body.map((attr) => {
          if (attr.kind !== 'attribute' || attr.name !== 'config') return attr;
          if (attr.value.kind !== 'call' || attr.value.name !== 'merge')
            throw new Error('expected the data volume config to be a merge() call');
          return {
            ...attr,
            value: call('merge', [...attr.value.args, adjustments.dataVolumeConfig]),
          };
        }),
      };
    }
    return item;
  });
  if (!instanceFound || !volumeFound)
    throw new Error(
      `module "${service.name}" has no incus_instance.this or incus_storage_volume.data to adjust`,
    );

  return defineModule<Vs, Os>({
    name: service.name,
    package: service.package,
    description: service.description,
    providers: service.providers,
    variables: service.variables,
    build: () => ({ ...service.body, resources }),
  });
}
