import { templateFacts, type FunctionCall, type Traversal } from './expression-facts.js';
import { lexTemplate } from './hcl-lexer.js';
import { blocksOf, bodies, isRecord, soleInterpolation, type JsonObject } from './hcl-json.js';
import type { HclFile } from './hcl-module.js';

/** One block on the way from the file to an expression: `resource "a" "b"` (the 1st such), `dynamic "device"` (the 2nd)… */
export interface BlockStep {
  readonly type: string;
  readonly labels: readonly string[];
  /** Its place among the sibling blocks with the same type and labels. */
  readonly index: number;
}

/** Where an expression sits (to find its line) and what is in scope there. */
export interface Site {
  readonly file: HclFile;
  /** The top-level block, then the nested blocks around the expression. */
  readonly path: readonly BlockStep[];
  /** The attribute of the innermost block the expression belongs to. */
  readonly attribute?: string;
  readonly hasCount: boolean;
  readonly hasForEach: boolean;
  /** In `provisioner`, `connection` and `postcondition` blocks. */
  readonly allowsSelf: boolean;
  /** Iterator names of enclosing dynamic blocks. */
  readonly bound: ReadonlySet<string>;
}

export interface Uses {
  readonly traversals: { readonly traversal: Traversal; readonly site: Site }[];
  readonly calls: { readonly call: FunctionCall; readonly site: Site }[];
}

/** The site of a top-level block, with what its own `count` / `for_each` put in scope. */
export function blockSite(
  file: HclFile,
  type: string,
  labels: readonly string[],
  index = 0,
  body: JsonObject = {},
): Site {
  return {
    file,
    path: [{ type, labels, index }],
    hasCount: 'count' in body,
    hasForEach: 'for_each' in body,
    allowsSelf: false,
    bound: new Set(),
  };
}

/** Block types with the number of labels they take, and what in them is not an expression to resolve. */
const TOP_LEVEL_BLOCKS: readonly { type: string; labelCount: number; skip: readonly string[] }[] = [
  { type: 'variable', labelCount: 1, skip: ['type'] },
  { type: 'output', labelCount: 1, skip: [] },
  // `providers` maps provider configurations, not values.
  { type: 'module', labelCount: 1, skip: ['source', 'version', 'providers'] },
  { type: 'provider', labelCount: 1, skip: ['alias'] },
  { type: 'check', labelCount: 1, skip: [] },
  { type: 'import', labelCount: 0, skip: [] },
  // `provider = incus.remote` names a provider configuration, not a resource.
  { type: 'resource', labelCount: 2, skip: ['provider'] },
  { type: 'data', labelCount: 2, skip: ['provider'] },
];

/**
 * Every traversal and file-reading call in the `.tf` files of a module, with
 * its site. Skips what is not an ordinary expression: variable `type`s,
 * `lifecycle.ignore_changes`, provider references, the `terraform` block and
 * `moved`/`removed` addresses.
 */
export function collectUses(files: readonly HclFile[]): Uses {
  const uses: Uses = { traversals: [], calls: [] };
  for (const file of files) {
    if (!file.parsed) continue;
    for (const block of blocksOf(file.parsed, 'locals', 0))
      for (const [name, value] of Object.entries(block.body))
        walkValue(value, { ...blockSite(file, 'locals', [], block.index), attribute: name }, uses);
    for (const { type, labelCount, skip } of TOP_LEVEL_BLOCKS)
      for (const block of blocksOf(file.parsed, type, labelCount)) {
        const body = Object.fromEntries(
          Object.entries(block.body).filter(([key]) => !skip.includes(key)),
        );
        walkBody(body, blockSite(file, type, block.labels, block.index, block.body), uses);
      }
  }
  return uses;
}

/** A block body: attributes, nested blocks, `dynamic`, `lifecycle` and `provisioner` blocks. */
function walkBody(body: JsonObject, site: Site, uses: Uses): void {
  const nested = (type: string, labels: readonly string[], index: number): Site => ({
    ...site,
    path: [...site.path, { type, labels, index }],
    attribute: undefined,
  });
  for (const [key, value] of Object.entries(body)) {
    if (key === 'dynamic' && isRecord(value)) {
      for (const [blockType, dynamics] of Object.entries(value))
        bodies(dynamics).forEach((dynamic, index) =>
          walkDynamic(blockType, dynamic, nested('dynamic', [blockType], index), uses),
        );
    } else if (key === 'lifecycle') {
      bodies(value).forEach((lifecycle, index) => {
        // `ignore_changes` lists argument names of the resource, not references.
        const { ignore_changes: _, postcondition, ...settings } = lifecycle;
        const lifecycleSite = nested('lifecycle', [], index);
        walkBody(settings, lifecycleSite, uses);
        if (postcondition !== undefined)
          walkBody({ postcondition }, { ...lifecycleSite, allowsSelf: true }, uses);
      });
    } else if (key === 'provisioner' && isRecord(value)) {
      for (const [kind, provisioners] of Object.entries(value))
        bodies(provisioners).forEach((provisioner, index) =>
          walkBody(
            provisioner,
            { ...nested('provisioner', [kind], index), allowsSelf: true },
            uses,
          ),
        );
    } else if (key === 'connection') {
      bodies(value).forEach((connection, index) =>
        walkBody(connection, { ...nested('connection', [], index), allowsSelf: true }, uses),
      );
    } else if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
      // Nested blocks (or a list of objects, which walks the same way).
      value.forEach((block, index) => walkBody(block, nested(key, [], index), uses));
    } else walkValue(value, { ...site, attribute: key }, uses);
  }
}

/** `dynamic "<block>" { for_each, iterator?, labels?, content {…} }`: the iterator is in scope in `content`. */
function walkDynamic(blockType: string, dynamic: JsonObject, site: Site, uses: Uses): void {
  const iterator = soleInterpolation(dynamic.iterator) ?? blockType;
  const inner: Site = { ...site, bound: new Set([...site.bound, iterator]) };
  walkValue(dynamic.for_each, { ...site, attribute: 'for_each' }, uses);
  walkValue(dynamic.labels, { ...inner, attribute: 'labels' }, uses);
  bodies(dynamic.content).forEach((content, index) =>
    walkBody(
      content,
      { ...inner, path: [...inner.path, { type: 'content', labels: [], index }] },
      uses,
    ),
  );
}

/** Any value: hcl2json renders expressions (and object keys that are expressions) as template text. */
function walkValue(value: unknown, site: Site, uses: Uses): void {
  if (typeof value === 'string') walkTemplateText(value, site, uses);
  else if (Array.isArray(value)) for (const item of value) walkValue(item, site, uses);
  else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) {
      walkTemplateText(key, site, uses);
      walkValue(item, site, uses);
    }
}

function walkTemplateText(text: string, site: Site, uses: Uses): void {
  // Most values are plain literals; skip lexing them.
  if (!text.includes('${') && !text.includes('%{')) return;
  const facts = templateFacts(lexTemplate(text), site.bound);
  for (const traversal of facts.traversals) uses.traversals.push({ traversal, site });
  for (const call of facts.calls) uses.calls.push({ call, site });
}
