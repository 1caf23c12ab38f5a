/**
 * Reading the JSON hcl2json makes of a file. Its shape: each block type maps to
 * its blocks — `variable: { <name>: [body] }`, `resource: { <type>: { <name>: [body] } }`,
 * `locals: [body]`, `terraform: [body]` — and a body maps each attribute to its
 * value (literals as JSON, anything else as template text such as `"${var.x}"`)
 * and each nested block type to an array of bodies. Dynamic blocks sit under
 * `dynamic: { <block>: [{ for_each, iterator?, labels?, content: [body] }] }`.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export const isRecord = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The bodies of a block list (hcl2json always gives arrays; tolerate a single body). */
export const bodies = (value: unknown): JsonObject[] =>
  (Array.isArray(value) ? value : [value]).filter(isRecord);

/** A block as hcl2json gives it: its labels, its body, and its place among blocks with the same labels. */
export interface LabelledBody {
  readonly labels: readonly string[];
  readonly body: JsonObject;
  readonly index: number;
}

/**
 * The blocks of `type` in a file or body, for a block type with `labelCount`
 * labels: `locals` has none, `variable` one, `resource` two.
 */
export function blocksOf(parsed: JsonObject, type: string, labelCount: number): LabelledBody[] {
  const collect = (value: unknown, labels: string[], remaining: number): LabelledBody[] => {
    if (remaining === 0) return bodies(value).map((body, index) => ({ labels, body, index }));
    if (!isRecord(value)) return [];
    return Object.entries(value).flatMap(([label, inner]) =>
      collect(inner, [...labels, label], remaining - 1),
    );
  };
  return collect(parsed[type], [], labelCount);
}

/** The expression inside a template that is exactly `${expression}`, else `undefined`. */
export function soleInterpolation(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{([^{}]*)\}$/.exec(value);
  return match?.[1]?.trim();
}
