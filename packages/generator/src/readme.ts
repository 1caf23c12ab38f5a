import {
  attr,
  block,
  printExpr,
  printFile,
  ref,
  toExpr,
  typeLabel,
  type Block,
  type BodyItem,
} from '@atlas/hcl';
import type { Environment, ModuleDefinition, ProviderName } from '@atlas/core';
import { PROVIDERS, REQUIRED_TOFU_VERSION, variableBlock, versionsBlock } from './render.js';
import Handlebars from 'handlebars';

const MODULE_README = Handlebars.compile(
  `# {{name}}

{{description}}

Rendered from [\`{{packageName}}\`]({{packageLink}}) version {{version}}; changes are in
[CHANGELOG.md](CHANGELOG.md).

## Usage

A complete root module: save it as \`main.tf\` in a new folder beside the environments
(\`generated/environments/<name>/\`), then run \`tofu init\` and \`tofu plan\` there.

\`\`\`hcl
{{{usage}}}\`\`\`

To pin this release from another repository:

\`\`\`hcl
module "{{exampleName}}" {
  source = "{{pinnedSource}}"
  # …
}
\`\`\`

## Requirements

| Name | Version |
|------|---------|
{{#each requirements}}
| <a name="requirement_{{name}}"></a> [{{{escapedName}}}](#requirement\\_{{{escapedName}}}) | {{{version}}} |
{{/each}}

## Providers

| Name | Version |
|------|---------|
{{#each providers}}
| <a name="provider_{{name}}"></a> [{{{escapedName}}}](#provider\\_{{{escapedName}}}) | {{{version}}} |
{{/each}}

## Modules

No modules.

## Resources

| Name | Type |
|------|------|
{{#each resources}}
| [{{address}}]({{link}}) | {{mode}} |
{{/each}}

## Inputs

| Name | Description | Type | Default | Required |
|------|-------------|------|---------|:--------:|
{{#each inputs}}
| <a name="input_{{name}}"></a> [{{{escapedName}}}](#input\\_{{{escapedName}}}) | {{{description}}} | {{{type}}} | {{{default}}} | {{required}} |
{{/each}}

## Outputs

| Name | Description |
|------|-------------|
{{#each outputs}}
| <a name="output_{{name}}"></a> [{{{escapedName}}}](#output\\_{{{escapedName}}}) | {{{description}}} |
{{/each}}
`,
  { noEscape: true, strict: true },
);

/*
 * Markdown escaping as terraform-docs does it for tables: `|` is escaped
 * everywhere (GFM splits cells before it parses code spans), `_` outside code
 * spans, and line breaks become <br>. Beyond that, `<` and `>` in prose become
 * entities so text like "<instance_name>" is not swallowed as an HTML tag, and
 * a backslash in prose is escaped; inside a code span nothing else is touched,
 * because Markdown shows code-span text literally.
 */
const CODE_SPAN = /(`+)([\s\S]*?[^`])\1(?!`)/g;

/** Escape a table cell of prose that may contain `code spans`. */
export function markdownCell(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(CODE_SPAN)) {
    out += prose(text.slice(last, m.index)) + m[0].replace(/\|/g, '\\|');
    last = m.index + m[0].length;
  }
  return (out + prose(text.slice(last))).replace(/\r?\n/g, '<br>');
}

function prose(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/_/g, '\\_')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

/** A type or value in a table cell: a code span, or a <pre> block when it spans lines. */
export function markdownCode(text: string): string {
  if (text.includes('\n')) {
    const html = text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\\/g, '&#92;')
      .replace(/\|/g, '\\|')
      .replace(/\r?\n/g, '<br>');
    return `<pre>${html}</pre>`;
  }
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

const escapeName = (name: string) => name.replace(/_/g, '\\_');

/** Git tag of a module release, e.g. `grafana-v1.4.0`. */
export function releaseTag(def: ModuleDefinition): string {
  return `${def.name}-v${def.package.version}`;
}

export interface ReadmeOptions {
  /** Git URL of this repository, used in the pinned-source example. */
  readonly repository: string;
}

const byName = <T extends { readonly name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * The usage example as a whole root module: the `terraform` block, a root
 * variable for every `var.<name>` an argument passes straight through (typed
 * and described like the input it feeds), and the module call.
 */
function usageExample(def: ModuleDefinition, exampleName: string): string {
  const args: BodyItem[] = [attr('source', `../../modules/${def.name}`)];
  const rootVariables: Block[] = [];
  for (const [name, spec] of Object.entries(def.variables)) {
    if ('default' in spec && spec.example === undefined) continue;
    const value = spec.example === undefined ? ref(`var.${name}`) : toExpr(spec.example);
    args.push(attr(name, value));
    if (value.kind === 'traversal' && value.root === 'var' && value.steps.length === 1) {
      const step = value.steps[0]!;
      if ('attr' in step) {
        const declared = { type: spec.type, description: spec.description };
        rootVariables.push(
          variableBlock(
            step.attr,
            spec.sensitive ? { ...declared, sensitive: true } : declared,
            value,
          ),
        );
      }
    }
  }
  return printFile({
    body: [versionsBlock(def.providers), ...rootVariables, block('module', [exampleName], args)],
  });
}

function resourceRows(def: ModuleDefinition) {
  const rows = def.body.resources.flatMap((item) => {
    if (item.kind !== 'block' || (item.type !== 'resource' && item.type !== 'data')) return [];
    const [type = '', name = ''] = item.labels;
    const provider = PROVIDERS[type.split('_')[0] as ProviderName];
    if (!provider) return [];
    const kind = item.type === 'resource' ? 'resources' : 'data-sources';
    return [
      {
        data: item.type === 'data',
        address: `${item.type === 'data' ? 'data.' : ''}${type}.${name}`,
        link: `https://registry.terraform.io/providers/${provider.source}/latest/docs/${kind}/${type.slice(type.indexOf('_') + 1)}`,
        mode: item.type === 'resource' ? 'resource' : 'data source',
      },
    ];
  });
  // terraform-docs lists resources, then data sources, each sorted by address.
  return rows.sort((a, b) =>
    a.data !== b.data
      ? a.data
        ? 1
        : -1
      : a.address < b.address
        ? -1
        : a.address > b.address
          ? 1
          : 0,
  );
}

export function moduleReadme(def: ModuleDefinition, options: ReadmeOptions): string {
  const exampleName = `${def.name.replace(/-/g, '_')}`;
  const named = (name: string) => ({ name, escapedName: escapeName(name) });
  return MODULE_README({
    name: def.name,
    description: markdownCell(def.description),
    packageName: def.package.name,
    packageLink: `../../../packages/${def.package.name.replace(/^@atlas\//, '')}`,
    version: def.package.version,
    usage: usageExample(def, exampleName),
    exampleName,
    pinnedSource: `git::${options.repository}//generated/modules/${def.name}?ref=${releaseTag(def)}`,
    requirements: [
      { ...named('terraform'), version: REQUIRED_TOFU_VERSION },
      ...[...def.providers].sort().map((p) => ({ ...named(p), version: PROVIDERS[p].version })),
    ],
    providers: [...def.providers]
      .sort()
      .map((p) => ({ ...named(p), version: PROVIDERS[p].version })),
    resources: resourceRows(def),
    inputs: Object.entries(def.variables)
      .map(([name, spec]) => ({
        ...named(name),
        description: markdownCell(spec.description),
        type: markdownCode(typeLabel(spec.type.expr)),
        default: 'default' in spec ? markdownCode(printExpr(toExpr(spec.default))) : 'n/a',
        required: 'default' in spec ? 'no' : 'yes',
      }))
      .sort(byName),
    outputs: Object.entries(def.body.outputs)
      .map(([name, spec]) => ({
        ...named(name),
        description: markdownCell(spec.description + (spec.sensitive ? ' (sensitive)' : '')),
      }))
      .sort(byName),
  });
}

const ENV_README = Handlebars.compile(
  `# {{name}}

{{description}}

This root module is generated from \`environments/{{name}}.ts\`. Change that file and run
\`pnpm generate\`; never edit these files by hand.

## Apply it

State lives in an Incus storage bucket on this environment's own Incus; \`bootstrap/\` creates it
(with local state) once, through {{remote}}:

\`\`\`sh
cd generated/environments/{{name}}/bootstrap
tofu init
{{{bootstrapApply}}}

cd ..
./init.sh                                           # writes backend.hcl (never commit it), then tofu init with it
cp terraform.tfvars.example terraform.tfvars        # fill in the secrets; never commit it
tofu providers lock -platform=linux_amd64 -platform=darwin_arm64  # then commit .terraform.lock.hcl
tofu plan
tofu apply
\`\`\`

## Modules

| Module | Source | Package |
|--------|--------|---------|
{{#each modules}}
| \`{{name}}\` | \`{{source}}\` | \`{{package}}\` {{version}} |
{{/each}}

## Inputs

| Name | Description | Sensitive | Required |
|------|-------------|:---------:|:--------:|
{{#each variables}}
| \`{{name}}\` | {{{description}}} | {{sensitive}} | {{required}} |
{{/each}}

## Outputs

| Name | Description |
|------|-------------|
{{#each outputs}}
| \`{{name}}\` | {{{description}}} |
{{/each}}
`,
  { noEscape: true, strict: true },
);

export function environmentReadme(
  env: Environment,
  source: (def: ModuleDefinition) => string,
): string {
  return ENV_README({
    name: env.name,
    // s3_endpoint has a default only where the site says which host serves the bucket.
    bootstrapApply: env.site
      ? 'tofu apply                                          # -var s3_endpoint=URL if S3 is reached elsewhere'
      : 'tofu apply -var s3_endpoint=https://<incus-host>:8555',
    remote: env.provider.remote
      ? `the \`${env.provider.remote}\` Incus remote, as the environment's provider`
      : 'the local Incus daemon (or the remote INCUS_REMOTE names), as the environment',
    description: markdownCell(env.description),
    modules: env.modules.map((m) => ({
      name: m.name,
      source: source(m.definition),
      package: m.definition.package.name,
      version: m.definition.package.version,
    })),
    variables: env.variables.map((v) => ({
      name: v.name,
      description: markdownCell(v.spec.description),
      sensitive: v.spec.sensitive ? 'yes' : 'no',
      required: 'default' in v.spec ? 'no' : 'yes',
    })),
    outputs: Object.entries(env.outputs).map(([name, o]) => ({
      name,
      description: markdownCell(o.description),
    })),
  });
}
