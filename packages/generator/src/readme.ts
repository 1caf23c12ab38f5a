import {
  attr,
  block,
  printExpr,
  printFile,
  ref,
  toExpr,
  typeLabel,
  type BodyItem,
} from '@atlas/hcl';
import {
  PROVIDERS,
  REQUIRED_TOFU_VERSION,
  type Environment,
  type ModuleDefinition,
} from '@atlas/core';
import Handlebars from 'handlebars';

const MODULE_README = Handlebars.compile(
  `# {{name}}

{{description}}

Rendered from [\`{{packageName}}\`]({{packageLink}}) version {{version}}.

## Usage

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
| {{name}} | {{version}} |
{{/each}}

## Inputs

| Name | Description | Type | Default | Required |
|------|-------------|------|---------|:--------:|
{{#each inputs}}
| <a name="input_{{name}}"></a> [{{name}}](#input_{{name}}) | {{{description}}} | {{{type}}} | {{{default}}} | {{required}} |
{{/each}}

## Outputs

| Name | Description |
|------|-------------|
{{#each outputs}}
| <a name="output_{{name}}"></a> [{{name}}](#output_{{name}}) | {{{description}}} |
{{/each}}
`,
  { noEscape: true, strict: true },
);

/** Escape text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function code(text: string): string {
  if (text.includes('\n'))
    return `<pre>${cell(text.replace(/&/g, '&amp;').replace(/</g, '&lt;'))}</pre>`;
  return `\`${cell(text)}\``;
}

/** Git tag of a module release, e.g. `grafana-v1.4.0`. */
export function releaseTag(def: ModuleDefinition): string {
  return `${def.name}-v${def.package.version}`;
}

export interface ReadmeOptions {
  /** Git URL of this repository, used in the pinned-source example. */
  readonly repository: string;
}

export function moduleReadme(def: ModuleDefinition, options: ReadmeOptions): string {
  const exampleName = `${def.name.replace(/-/g, '_')}`;
  const args: BodyItem[] = [attr('source', `../../modules/${def.name}`)];
  for (const [name, spec] of Object.entries(def.variables)) {
    if ('default' in spec && spec.example === undefined) continue;
    args.push(attr(name, spec.example === undefined ? placeholder(name) : toExpr(spec.example)));
  }
  const usage = printFile({ body: [block('module', [exampleName], args)] });
  return MODULE_README({
    name: def.name,
    description: def.description,
    packageName: def.package.name,
    packageLink: `../../../packages/${def.package.name.replace(/^@atlas\//, '')}`,
    version: def.package.version,
    usage,
    exampleName,
    pinnedSource: `git::${options.repository}//generated/modules/${def.name}?ref=${releaseTag(def)}`,
    requirements: [
      { name: 'opentofu', version: `\`${REQUIRED_TOFU_VERSION}\`` },
      ...def.providers.map((p) => ({ name: p, version: `\`${PROVIDERS[p].version}\`` })),
    ],
    inputs: Object.entries(def.variables).map(([name, spec]) => ({
      name,
      description: cell(spec.description),
      type: code(typeLabel(spec.type.expr)),
      default: 'default' in spec ? code(printExpr(toExpr(spec.default))) : 'n/a',
      required: 'default' in spec ? 'no' : 'yes',
    })),
    outputs: Object.entries(def.body.outputs).map(([name, spec]) => ({
      name,
      description: cell(spec.description + (spec.sensitive ? ' (sensitive)' : '')),
    })),
  });
}

const placeholder = (name: string) => ref(`var.${name}`);

const ENV_README = Handlebars.compile(
  `# {{name}}

{{description}}

This root module is generated from \`environments/{{name}}.ts\`. Change that file and run
\`pnpm generate\`; never edit these files by hand.

## Apply it

State lives in an Incus storage bucket on this environment's own Incus; \`bootstrap/\` creates it
(with local state) once:

\`\`\`sh
cd generated/environments/{{name}}/bootstrap
tofu init
tofu apply -var s3_endpoint=https://<incus-host>:8555
tofu output -raw backend_config > ../backend.hcl   # never commit backend.hcl

cd ..
cp terraform.tfvars.example terraform.tfvars        # fill in the secrets; never commit it
tofu init -backend-config=backend.hcl
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
    description: env.description,
    modules: env.modules.map((m) => ({
      name: m.name,
      source: source(m.definition),
      package: m.definition.package.name,
      version: m.definition.package.version,
    })),
    variables: env.variables.map((v) => ({
      name: v.name,
      description: cell(v.spec.description),
      sensitive: v.spec.sensitive ? 'yes' : 'no',
      required: 'default' in v.spec ? 'no' : 'yes',
    })),
    outputs: Object.entries(env.outputs).map(([name, o]) => ({
      name,
      description: cell(o.description),
    })),
  });
}
