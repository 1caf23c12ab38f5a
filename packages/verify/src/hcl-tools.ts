/**
 * HashiCorp's HCL parser (via hcl2json) and formatter (hclwrite, via
 * hcl-tools), both Go compiled to WASM. Each package instantiates its WASM
 * when first imported (0.1–0.2 s), so they are imported on first use and the
 * module cache keeps them for every later call.
 */

export type ParsedHcl = Readonly<Record<string, unknown>>;

let hcl2json: Promise<typeof import('@cdktn/hcl2json')> | undefined;
let hclTools: Promise<typeof import('@cdktn/hcl-tools')> | undefined;

/** The JSON hcl2json makes of one file; rejects with HCL's diagnostics when it does not parse. */
export async function parseHcl(fileName: string, content: string): Promise<ParsedHcl> {
  hcl2json ??= import('@cdktn/hcl2json');
  const parsed: unknown = await (await hcl2json).parse(fileName, content);
  return parsed as ParsedHcl;
}

/** The text `hclwrite.Format` (the formatting half of `tofu fmt`) makes of `content`. */
export async function formatHcl(content: string): Promise<string> {
  hclTools ??= import('@cdktn/hcl-tools');
  return (await hclTools).format(content);
}
