import { call, interp, isExpr, literal, str, type Expr, type TemplatePart } from '@atlas/hcl';

type Piece = string | number | Expr | TemplatePart | readonly TemplatePart[];

/**
 * Template-file parts from a tagged template literal: text stays literal
 * (the printer escapes `${` and `%{`), expressions become `${…}`, and template
 * parts are spliced in.
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

/** A POSIX shell single-quoted word holding `value`, whatever characters it has. */
export function shellQuoted(value: Expr): TemplatePart[] {
  return [literal("'"), interp(call('replace', [value, str("'"), str("'\\''")])), literal("'")];
}
