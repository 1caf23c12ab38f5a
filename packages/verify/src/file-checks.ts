import type { Token } from './hcl-lexer.js';
import type { HclFile } from './hcl-module.js';
import { formatHcl } from './hcl-tools.js';
import type { CheckName } from './problem.js';
import { literalText, type SourceBody } from './source-outline.js';

export interface FileProblem {
  readonly line: number | undefined;
  readonly check: CheckName;
  readonly message: string;
}

/**
 * The checks on one file on its own: it parses, and it is byte for byte what
 * `tofu fmt` would write — hclwrite's formatting plus tofu's own rewrites
 * (interpolation-only strings, legacy variable types, unquoted block labels).
 */
export async function checkFile(file: HclFile): Promise<FileProblem[]> {
  if (file.parseError)
    return [{ line: file.parseError.line, check: 'parse', message: file.parseError.message }];
  const problems: FileProblem[] = [];
  const formatted = await formatHcl(file.source);
  if (formatted !== file.source) {
    const line = firstDifferentLine(file.source, formatted);
    problems.push({
      line,
      check: 'fmt',
      message: `not formatted as tofu fmt would write it (line ${line} differs)`,
    });
  }
  checkBody(file.outline, [], problems);
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** Legacy type constraints `tofu fmt` rewrites in `variable` blocks, and what it writes. */
const CANONICAL_TYPES: Readonly<Record<string, string>> = {
  list: 'list(any)',
  map: 'map(any)',
  set: 'set(any)',
  '"string"': 'string',
  '"list"': 'list(string)',
  '"map"': 'map(string)',
};

function checkBody(body: SourceBody, blockTypes: readonly string[], problems: FileProblem[]): void {
  for (const attribute of body.attributes) {
    const isVariableType =
      blockTypes.length === 1 && blockTypes[0] === 'variable' && attribute.name === 'type';
    if (isVariableType) {
      const written = typeKeyword(attribute.value);
      const canonical = written === undefined ? undefined : CANONICAL_TYPES[written];
      if (canonical)
        problems.push({
          line: attribute.line,
          check: 'fmt',
          message: `type = ${written}: tofu fmt writes type = ${canonical}`,
        });
    } else if (isInterpolationOnly(attribute.value))
      problems.push({
        line: attribute.line,
        check: 'interpolation',
        message: `${attribute.name} = "\${…}" is an interpolation-only string: tofu fmt writes the bare expression`,
      });
  }
  for (const block of body.blocks) {
    const unquoted = block.labels.filter((label) => !label.quoted);
    if (unquoted.length > 0)
      problems.push({
        line: block.line,
        check: 'fmt',
        message: `${block.type} block label ${unquoted.map((label) => label.text).join(', ')}: tofu fmt quotes block labels`,
      });
    checkBody(block, [...blockTypes, block.type], problems);
  }
}

/**
 * `"${x}"`: a quoted string that is exactly one interpolation. Like tofu fmt,
 * this looks at whole attribute values only, not at strings nested in them.
 */
function isInterpolationOnly(value: readonly Token[]): boolean {
  const [only] = value;
  return (
    value.length === 1 &&
    only?.kind === 'template' &&
    !only.heredoc &&
    only.parts.length === 1 &&
    only.parts[0]?.kind === 'interpolation'
  );
}

/** A type written as one keyword (`list`) or one quoted word (`"string"`), as written. */
function typeKeyword(value: readonly Token[]): string | undefined {
  const [only] = value;
  if (value.length !== 1 || !only) return undefined;
  if (only.kind === 'identifier') return only.text;
  if (only.kind !== 'template' || only.heredoc) return undefined;
  const text = literalText(only);
  return text === undefined ? undefined : `"${text}"`;
}

function firstDifferentLine(actual: string, expected: string): number {
  const actualLines = actual.split('\n');
  const expectedLines = expected.split('\n');
  const index = actualLines.findIndex((line, i) => line !== expectedLines[i]);
  return (index === -1 ? actualLines.length : index) + 1;
}
