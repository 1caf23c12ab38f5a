import { call, interp, isExpr, literal, str, type Expr, type TemplatePart } from '@atlas/hcl';

type Piece = string | number | Expr | TemplatePart | readonly TemplatePart[];

/**
 * Template-file parts from a tagged template literal: text stays literal
 * (the printer escapes `${` and `%{`), expressions become `${…}`, and parts
 * such as {@link whenBlock} are spliced in.
 */
export function templateParts(strings: TemplateStringsArray, ...values: Piece[]): TemplatePart[] {
  const parts: TemplatePart[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(literal(text));
    if (i >= values.length) return;
    const value = values[i]!;
    if (typeof value === 'string' || typeof value === 'number') parts.push(literal(String(value)));
    else if (isExpr(value)) parts.push(interp(value));
    else if (Array.isArray(value)) parts.push(...(value as readonly TemplatePart[]));
    else parts.push(value as TemplatePart);
  });
  return parts;
}

/**
 * Whole lines kept only when `cond` holds (`otherwise` when it does not):
 * `%{ if cond ~}` … `%{ endif ~}`. Put it at the start of a line and follow it
 * with a line break, so each tag has a line of its own. The strip markers drop
 * the whitespace after each tag, so a blank line meant to follow the block
 * ends `lines` and `otherwise`.
 */
export function whenBlock(
  cond: Expr,
  lines: readonly TemplatePart[],
  otherwise?: readonly TemplatePart[],
): TemplatePart {
  return {
    kind: 'if',
    cond,
    then: [literal('\n'), ...lines],
    ...(otherwise ? { else: [literal('\n'), ...otherwise] } : {}),
    stripRight: true,
  };
}

/** A POSIX shell single-quoted word holding `value`, whatever characters it has. */
export function shellQuoted(value: Expr): TemplatePart[] {
  return [literal("'"), interp(call('replace', [value, str("'"), str("'\\''")])), literal("'")];
}
