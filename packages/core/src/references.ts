import type { Expr, TemplatePart, TraversalStep } from '@atlas/hcl';

export interface ExpressionReference {
  /** `module`, `var`, `local`, or a resource type. */
  readonly root: string;
  /** The first attribute after the root: the module, variable or local name. */
  readonly name: string;
  /** Where inside the expression it occurs, as object keys and tuple indexes. */
  readonly path: ReadonlyArray<string | number>;
  /** Every step after the root. */
  readonly steps: readonly TraversalStep[];
}

/** Every named reference inside an expression, with where it sits in nested objects and tuples. */
export function expressionReferences(expr: Expr): ExpressionReference[] {
  const found: ExpressionReference[] = [];
  const visit = (e: Expr, path: ReadonlyArray<string | number>): void => {
    switch (e.kind) {
      case 'traversal': {
        const first = e.steps[0];
        if (first && 'attr' in first)
          found.push({ root: e.root, name: first.attr, path, steps: e.steps });
        visitSteps(e.steps, path);
        return;
      }
      case 'get':
        visit(e.target, path);
        visitSteps(e.steps, path);
        return;
      case 'tuple':
        e.items.forEach((item, i) => visit(item, [...path, i]));
        return;
      case 'object':
        for (const entry of e.entries) {
          if (typeof entry.key !== 'string') visit(entry.key, path);
          visit(entry.value, typeof entry.key === 'string' ? [...path, entry.key] : path);
        }
        return;
      case 'call':
        e.args.forEach((a) => visit(a, path));
        return;
      case 'template':
      case 'heredoc':
        visitParts(e.parts, path);
        return;
      case 'conditional':
        visit(e.cond, path);
        visit(e.then, path);
        visit(e.else, path);
        return;
      case 'for':
        visit(e.collection, path);
        if (e.key) visit(e.key, path);
        visit(e.value, path);
        if (e.cond) visit(e.cond, path);
        return;
      case 'binary':
        visit(e.left, path);
        visit(e.right, path);
        return;
      case 'unary':
        visit(e.operand, path);
        return;
      case 'paren':
        visit(e.expr, path);
        return;
      default:
        return;
    }
  };
  const visitSteps = (steps: readonly TraversalStep[], path: ReadonlyArray<string | number>) => {
    for (const s of steps) if ('index' in s) visit(s.index, path);
  };
  const visitParts = (parts: readonly TemplatePart[], path: ReadonlyArray<string | number>) => {
    for (const p of parts) {
      if (p.kind === 'interp') visit(p.expr, path);
      else if (p.kind === 'if') {
        visit(p.cond, path);
        visitParts(p.then, path);
        if (p.else) visitParts(p.else, path);
      } else if (p.kind === 'for') {
        visit(p.collection, path);
        visitParts(p.body, path);
      }
    }
  };
  visit(expr, []);
  return found;
}
