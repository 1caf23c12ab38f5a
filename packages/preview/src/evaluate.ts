import { posix } from 'node:path';
import {
  typeLabel,
  type BinaryOp,
  type Expr,
  type ForExpr,
  type TemplatePart,
  type TraversalStep,
  type TypeExpr,
} from '@atlas/hcl';
import { FUNCTIONS, callFunction, trimGoSpace } from './functions.js';
import { convert, typeOf, unify } from './types.js';
import {
  ConfigurationError,
  EvaluationError,
  UNKNOWN,
  UNKNOWN_TEXT,
  equals,
  hasComputedAttributes,
  isList,
  isObject,
  isSet,
  isWhollyKnown,
  namespaceOf,
  numberText,
  sortedKeys,
  typeName,
  type Value,
  type ValueObject,
} from './value.js';

/** What names mean where an expression is evaluated. */
export interface Scope {
  /** The value of a root name (`var`, `local`, `path`, an iterator, a resource type), or `undefined` when nothing declares it. */
  lookup(name: string): Value | undefined;
  /** Template files `templatefile()` can read, by path relative to `path.module`. */
  readonly templates?: Readonly<Record<string, readonly TemplatePart[]>>;
}

/** A scope holding exactly these names. */
export function scopeOf(
  names: Readonly<Record<string, Value>>,
  templates?: Readonly<Record<string, readonly TemplatePart[]>>,
): Scope {
  return {
    lookup: (name) => (Object.hasOwn(names, name) ? names[name] : undefined),
    ...(templates ? { templates } : {}),
  };
}

// Scopes inside a `templatefile()` template, where templatefile itself is not available.
const templateScopes = new WeakSet<Scope>();

/** `parent` with more names on top, e.g. a for expression's iterators. */
export function childScope(parent: Scope, names: Readonly<Record<string, Value>>): Scope {
  const child: Scope = {
    lookup: (name) => (Object.hasOwn(names, name) ? names[name] : parent.lookup(name)),
    ...(parent.templates ? { templates: parent.templates } : {}),
  };
  if (templateScopes.has(parent)) templateScopes.add(child);
  return child;
}

/** Evaluates an expression as OpenTofu would at plan time. */
export function evaluate(expr: Expr, scope: Scope): Value {
  switch (expr.kind) {
    case 'string':
      return expr.value;
    case 'number':
      return Number(expr.value);
    case 'bool':
      return expr.value;
    case 'null':
      return null;
    case 'tuple':
      return expr.items.map((item) => evaluate(item, scope));
    case 'object':
      return objectValue(expr.entries, scope);
    case 'traversal': {
      const root = scope.lookup(expr.root);
      if (root === undefined)
        throw new ConfigurationError(`Unknown variable: there is no variable named "${expr.root}"`);
      return traverse(root, expr.steps, scope, expr.root);
    }
    case 'get':
      return traverse(evaluate(expr.target, scope), expr.steps, scope, '');
    case 'call':
      return callExpr(expr.name, expr.args, expr.expandFinal ?? false, scope);
    case 'template':
      // A template that is one interpolation yields the value itself, not its text.
      if (expr.parts.length === 1 && expr.parts[0]!.kind === 'interp')
        return evaluate(expr.parts[0]!.expr, scope);
      return templateValue(expr.parts, scope);
    case 'heredoc':
      return templateValue(expr.parts, scope);
    case 'conditional':
      return conditional(expr.cond, expr.then, expr.else, scope);
    case 'for':
      return forExpr(expr, scope);
    case 'binary':
      // Both sides are always evaluated: HCL's && and || do not short-circuit.
      return binary(expr.op, evaluate(expr.left, scope), evaluate(expr.right, scope));
    case 'unary': {
      const operand = evaluate(expr.operand, scope);
      if (operand === UNKNOWN) return UNKNOWN;
      return expr.op === '!' ? !toBool(operand, 'operand') : -toNumber(operand, 'operand');
    }
    case 'paren':
      return evaluate(expr.expr, scope);
  }
}

function objectValue(entries: readonly { key: string | Expr; value: Expr }[], scope: Scope): Value {
  const out: Record<string, Value> = {};
  let unknownKey = false;
  for (const entry of entries) {
    const value = evaluate(entry.value, scope);
    if (typeof entry.key === 'string') {
      out[entry.key] = value;
      continue;
    }
    const key = evaluate(entry.key, scope);
    if (key === UNKNOWN) unknownKey = true;
    else out[keyString(key, 'object key')] = value;
  }
  return unknownKey ? UNKNOWN : out;
}

function keyString(key: Value, what: string): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return numberText(key);
  if (typeof key === 'boolean') return String(key);
  throw new EvaluationError(`Invalid ${what}: a string is required, got ${typeName(key)}`);
}

// ---- traversals -----------------------------------------------------------

function traverse(
  value: Value,
  steps: readonly TraversalStep[],
  scope: Scope,
  path: string,
): Value {
  let current = value;
  let at = path;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if ('splat' in step) {
      if (current === UNKNOWN) return UNKNOWN;
      if (current === null) return [];
      const rest = steps.slice(i + 1);
      const items = isList(current) ? current : [current];
      return items.map((item) => traverse(item, rest, scope, `${at}[*]`));
    }
    if ('attr' in step) {
      current = attribute(current, step.attr, at);
      at = at ? `${at}.${step.attr}` : step.attr;
    } else {
      const key = evaluate(step.index, scope);
      current = index(current, key, at);
      at = `${at}[${key === UNKNOWN ? '*' : JSON.stringify(key)}]`;
    }
  }
  return current;
}

function attribute(value: Value, name: string, at: string): Value {
  if (value === UNKNOWN) return UNKNOWN;
  if (value === null)
    throw new EvaluationError(`Attempt to get attribute from null value: ${at} is null`);
  if (isObject(value)) {
    if (Object.hasOwn(value, name)) return value[name]!;
    if (hasComputedAttributes(value)) return UNKNOWN;
    const declared = namespaceOf(value);
    if (declared)
      throw new ConfigurationError(
        `Reference to undeclared ${declared}: "${at}.${name}" is not declared`,
      );
    throw new EvaluationError(
      `Unsupported attribute: ${at || 'this object'} does not have an attribute named "${name}"`,
    );
  }
  if (isList(value))
    throw new EvaluationError(
      `Unsupported attribute: can't access attribute "${name}" on ${at || 'a list'}, a ${typeName(value)}; ` +
        'use an index for one element or [*] for all of them',
    );
  throw new EvaluationError(
    `Unsupported attribute: can't access attribute "${name}" on ${at || 'a value'}, a ${typeName(value)}`,
  );
}

function index(value: Value, key: Value, at: string): Value {
  if (value === UNKNOWN || key === UNKNOWN) return UNKNOWN;
  if (value === null) throw new EvaluationError(`Attempt to index null value: ${at} is null`);
  if (key === null) throw new EvaluationError(`Invalid index: can't use null as a key of ${at}`);
  if (isSet(value))
    throw new EvaluationError(
      `Invalid index: ${at} is a set, whose elements have no index or key to select with`,
    );
  if (isList(value)) {
    const n = typeof key === 'number' ? key : typeof key === 'string' ? Number(key) : NaN;
    if (!Number.isInteger(n))
      throw new EvaluationError(`Invalid index: ${at} needs a whole number index`);
    if (n < 0 || n >= value.length)
      throw new EvaluationError(
        `Invalid index: ${at} has ${value.length} elements, so index ${n} does not identify one`,
      );
    return value[n]!;
  }
  if (isObject(value)) {
    const name = keyString(key, 'index');
    if (Object.hasOwn(value, name)) return value[name]!;
    if (hasComputedAttributes(value)) return UNKNOWN;
    throw new EvaluationError(`Invalid index: ${at} has no element with key "${name}"`);
  }
  throw new EvaluationError(`Invalid index: ${at}, a ${typeName(value)}, has no indices`);
}

// ---- operators ------------------------------------------------------------

function toNumber(value: Value, what: string): number {
  return convertOperand(value, 'number', what) as number;
}

function toBool(value: Value, what: string): boolean {
  return convertOperand(value, 'bool', what) as boolean;
}

function convertOperand(value: Value, type: 'number' | 'bool', what: string): Value {
  if (value === null)
    throw new EvaluationError(`Invalid operand: the ${what} is null, a ${type} is required`);
  try {
    return convert(value, { t: type }, `the ${what}`);
  } catch (error) {
    if (error instanceof EvaluationError)
      throw new EvaluationError(`Invalid operand: ${error.message}`);
    throw error;
  }
}

function binary(op: BinaryOp, left: Value, right: Value): Value {
  if (op === '==' || op === '!=') {
    const same = equals(left, right);
    return same === UNKNOWN ? UNKNOWN : op === '==' ? same : !same;
  }
  if (op === '&&' || op === '||') {
    const a = left === UNKNOWN ? UNKNOWN : toBool(left, 'left operand');
    const b = right === UNKNOWN ? UNKNOWN : toBool(right, 'right operand');
    // A known false decides &&, a known true decides ||, whatever the other side (as cty refines it).
    const decisive = op === '||';
    if (a === decisive || b === decisive) return decisive;
    return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : !decisive;
  }
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  const [a, b] = [toNumber(left, 'left operand'), toNumber(right, 'right operand')];
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (a === 0 && b === 0) throw new EvaluationError('Operation failed: 0 / 0 has no value');
      return a / b;
    case '%':
      if (b === 0) throw new EvaluationError('Operation failed: modulo by zero');
      return a % b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Both results are evaluated and must unify to one type, as in OpenTofu; an
 * error in the result not taken is ignored.
 */
function conditional(condExpr: Expr, thenExpr: Expr, elseExpr: Expr, scope: Scope): Value {
  const attempt = (e: Expr): { value: Value } | { error: unknown } => {
    try {
      return { value: evaluate(e, scope) };
    } catch (error) {
      if (error instanceof EvaluationError) return { error };
      throw error;
    }
  };
  const [whenTrue, whenFalse] = [attempt(thenExpr), attempt(elseExpr)];
  let type: TypeExpr | undefined;
  if ('value' in whenTrue && 'value' in whenFalse) {
    const [a, b] = [typeOf(whenTrue.value), typeOf(whenFalse.value)];
    type = unify([a, b]);
    if (!type)
      throw new EvaluationError(
        `Inconsistent conditional result types: the true result is ${typeLabel(a)} and the false result is ${typeLabel(b)}, which have no type in common`,
      );
  }
  const cond = evaluate(condExpr, scope);
  if (cond === null) throw new EvaluationError('Null condition: the condition is null');
  if (cond === UNKNOWN) return UNKNOWN;
  const chosen = toBool(cond, 'condition') ? whenTrue : whenFalse;
  if ('error' in chosen) throw chosen.error;
  return type ? convert(chosen.value, type, 'conditional result') : chosen.value;
}

// ---- for expressions ------------------------------------------------------

/** Key/value pairs of a collection in OpenTofu's order: lists by index, objects by sorted key, sets by value. */
export function entries(collection: Value, what: string): Array<[Value, Value]> {
  if (collection === null) throw new EvaluationError(`Iteration over null value: ${what} is null`);
  if (isList(collection))
    return isSet(collection) ? collection.map((v) => [v, v]) : collection.map((v, i) => [i, v]);
  if (isObject(collection)) return sortedKeys(collection).map((k) => [k, collection[k]!]);
  throw new EvaluationError(
    `Iteration over non-iterable value: ${what} is a ${typeName(collection)}, not a collection`,
  );
}

function forExpr(expr: ForExpr, scope: Scope): Value {
  const collection = evaluate(expr.collection, scope);
  if (collection === UNKNOWN) return UNKNOWN;
  const list: Value[] = [];
  const object: Record<string, Value | Value[]> = {};
  let unknown = false;
  for (const [key, value] of entries(collection, 'the for expression collection')) {
    const inner = childScope(scope, {
      [expr.valueVar]: value,
      ...(expr.keyVar ? { [expr.keyVar]: key } : {}),
    });
    if (expr.cond) {
      const keep = evaluate(expr.cond, inner);
      if (keep === UNKNOWN) unknown = true;
      if (keep === UNKNOWN || !toBool(keep, 'for expression condition')) continue;
    }
    const item = evaluate(expr.value, inner);
    if (!expr.key) {
      list.push(item);
      continue;
    }
    const k = evaluate(expr.key, inner);
    if (k === UNKNOWN) {
      unknown = true;
      continue;
    }
    const name = keyString(k, 'object key in a for expression');
    if (expr.group) ((object[name] ??= []) as Value[]).push(item);
    else if (Object.hasOwn(object, name))
      throw new EvaluationError(
        `Duplicate object key "${name}" in a for expression; add "..." after the value to group values by key`,
      );
    else object[name] = item;
  }
  if (unknown) return UNKNOWN;
  return expr.key ? (object as ValueObject) : list;
}

// ---- templates -------------------------------------------------------------

/** A directive whose condition or collection is unknown: the text's shape is unknown too. */
class UnknownTemplate extends Error {}

/**
 * A template's value. As in OpenTofu, a directive on an unknown value makes
 * the whole text unknown; an unknown interpolation only shows as
 * {@link UNKNOWN_TEXT}, which keeps previews readable.
 */
function templateValue(parts: readonly TemplatePart[], scope: Scope): Value {
  try {
    return renderTemplate(parts, scope);
  } catch (error) {
    if (error instanceof UnknownTemplate) return UNKNOWN;
    throw error;
  }
}

/** Renders a template; unknown values show as {@link UNKNOWN_TEXT} instead of making the whole text unknown. */
export function renderTemplate(parts: readonly TemplatePart[], scope: Scope): string {
  let out = '';
  for (const part of stripMarkers(parts)) {
    switch (part.kind) {
      case 'literal':
        out += part.value;
        break;
      case 'interp':
        out += interpolation(evaluate(part.expr, scope));
        break;
      case 'if': {
        const cond = evaluate(part.cond, scope);
        if (cond === UNKNOWN) throw new UnknownTemplate();
        if (cond === null) throw new EvaluationError('Null condition in a template %{ if }');
        else
          out += renderTemplate(
            toBool(cond, 'template condition') ? part.then : (part.else ?? []),
            scope,
          );
        break;
      }
      case 'for': {
        const collection = evaluate(part.collection, scope);
        if (collection === UNKNOWN) throw new UnknownTemplate();
        for (const [key, value] of entries(collection, 'the template for collection')) {
          const names: Record<string, Value> = { [part.value]: value };
          if (part.key) names[part.key] = key;
          out += renderTemplate(part.body, childScope(scope, names));
        }
        break;
      }
    }
  }
  return out;
}

/**
 * Applies strip markers the way the printed template reads: adjacent literal
 * parts are one text, `${~ x}`/`%{~ …}` trim the whitespace before a tag and
 * `~}` the whitespace after it. A directive's markers are on all its tags, so
 * they also trim the inner edges of its bodies (after `%{ if c ~}`, before
 * `%{~ else }`…).
 */
function stripMarkers(parts: readonly TemplatePart[]): TemplatePart[] {
  const merged = mergeLiterals(parts);
  return merged.map((part, i) => {
    if (part.kind === 'if')
      return {
        ...part,
        then: trimBody(part.then, part),
        ...(part.else ? { else: trimBody(part.else, part) } : {}),
      };
    if (part.kind === 'for') return { ...part, body: trimBody(part.body, part) };
    if (part.kind !== 'literal') return part;
    let value = part.value;
    if (strips(merged[i - 1]).right) value = trimGoSpace.start(value);
    if (strips(merged[i + 1]).left) value = trimGoSpace.end(value);
    return { kind: 'literal', value };
  });
}

function mergeLiterals(parts: readonly TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (part.kind === 'literal' && last?.kind === 'literal')
      out[out.length - 1] = { kind: 'literal', value: last.value + part.value };
    else out.push(part);
  }
  return out;
}

function strips(part: TemplatePart | undefined): { left: boolean; right: boolean } {
  if (!part || part.kind === 'literal') return { left: false, right: false };
  return {
    left: 'stripLeft' in part && part.stripLeft === true,
    right: 'stripRight' in part && part.stripRight === true,
  };
}

function trimBody(body: readonly TemplatePart[], directive: TemplatePart): TemplatePart[] {
  const { left, right } = strips(directive);
  const parts = mergeLiterals(body);
  const first = parts[0];
  if (right && first?.kind === 'literal')
    parts[0] = { kind: 'literal', value: trimGoSpace.start(first.value) };
  const last = parts.at(-1);
  if (left && last?.kind === 'literal')
    parts[parts.length - 1] = { kind: 'literal', value: trimGoSpace.end(last.value) };
  return parts;
}

function interpolation(value: Value): string {
  if (value === UNKNOWN) return UNKNOWN_TEXT;
  if (value === null)
    throw new EvaluationError(
      'Invalid template interpolation value: the expression result is null; a template cannot include null',
    );
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return String(value);
  throw new EvaluationError(
    `Invalid template interpolation value: cannot include a ${typeName(value)} in a string template; a string is required`,
  );
}

// ---- function calls --------------------------------------------------------

function callExpr(
  name: string,
  argExprs: readonly Expr[],
  expandFinal: boolean,
  scope: Scope,
): Value {
  if (name === 'can') {
    if (argExprs.length !== 1) throw new ConfigurationError('can() takes exactly one argument');
    try {
      const value = evaluate(argExprs[0]!, scope);
      return isWhollyKnown(value) ? true : UNKNOWN;
    } catch (error) {
      if (error instanceof EvaluationError) return false;
      throw error;
    }
  }
  if (name === 'try') {
    if (argExprs.length === 0) throw new ConfigurationError('try() needs at least one argument');
    const errors: string[] = [];
    for (const arg of argExprs) {
      try {
        const value = evaluate(arg, scope);
        // Until it is known, OpenTofu cannot tell whether this argument will fail.
        return isWhollyKnown(value) ? value : UNKNOWN;
      } catch (error) {
        if (!(error instanceof EvaluationError)) throw error;
        errors.push(error.message);
      }
    }
    throw new EvaluationError(
      `Call to function "try" failed: no expression succeeded:\n- ${errors.join('\n- ')}`,
    );
  }
  let args = argExprs.map((a) => evaluate(a, scope));
  if (expandFinal) {
    const last = args.at(-1);
    if (last === UNKNOWN) return UNKNOWN;
    if (last === undefined || !isList(last))
      throw new EvaluationError(
        `Invalid expanding argument: the final argument of ${name}(…) must be a list`,
      );
    args = [...args.slice(0, -1), ...last];
  }
  if (name === 'templatefile') return templateFile(args, scope);
  const definition = FUNCTIONS.get(name);
  if (!definition)
    throw new ConfigurationError(`Call to unknown function: there is no function named "${name}"`);
  const [min, max] = definition.params;
  if (args.length < min || args.length > max)
    throw new ConfigurationError(
      `Invalid number of arguments: ${name}() takes ${min === max ? min : `${min} to ${max}`}, got ${args.length}`,
    );
  try {
    return callFunction(definition, args);
  } catch (error) {
    if (error instanceof EvaluationError)
      throw new EvaluationError(`Call to function "${name}" failed: ${error.message}`);
    throw error;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * `templatefile(path, vars)`: the template from the module's templates,
 * evaluated with only `vars` in scope. Like OpenTofu, every name the template
 * uses must be in `vars`, even in a branch that is not taken.
 */
function templateFile(args: readonly Value[], scope: Scope): Value {
  const fail = (message: string): never => {
    throw new EvaluationError(`Call to function "templatefile" failed: ${message}`);
  };
  if (args.length !== 2)
    throw new ConfigurationError(
      `Invalid number of arguments: templatefile() takes 2, got ${args.length}`,
    );
  if (templateScopes.has(scope))
    return fail('cannot recursively call templatefile from inside templatefile');
  const [path, vars] = args as [Value, Value];
  if (path === UNKNOWN || vars === UNKNOWN) return UNKNOWN;
  if (typeof path !== 'string') return fail(`path must be a string, got ${typeName(path)}`);
  if (!isObject(vars)) return fail(`vars must be an object or map, got ${typeName(vars)}`);
  const file = posix.normalize(path);
  const parts = scope.templates?.[file];
  if (!parts) return fail(`no file exists at ${JSON.stringify(path)}`);
  for (const name of Object.keys(vars))
    if (!IDENTIFIER.test(name))
      return fail(`invalid template variable name ${JSON.stringify(name)}`);
  for (const name of freeNames(parts))
    if (!Object.hasOwn(vars, name))
      return fail(`vars map does not contain key ${JSON.stringify(name)}, referenced at ${path}`);
  const inner = scopeOf(vars);
  templateScopes.add(inner);
  try {
    return templateValue(parts, inner);
  } catch (error) {
    if (error instanceof EvaluationError || error instanceof ConfigurationError)
      return fail(`${path}: ${error.message}`);
    throw error;
  }
}

/** Root names a template refers to that it does not bind itself (by `%{ for }` or a for expression). */
function freeNames(parts: readonly TemplatePart[]): Set<string> {
  const found = new Set<string>();
  const visitParts = (ps: readonly TemplatePart[], names: ReadonlySet<string>) => {
    for (const p of ps) {
      if (p.kind === 'interp') visit(p.expr, names);
      else if (p.kind === 'if') {
        visit(p.cond, names);
        visitParts(p.then, names);
        visitParts(p.else ?? [], names);
      } else if (p.kind === 'for') {
        visit(p.collection, names);
        visitParts(p.body, new Set([...names, p.value, ...(p.key ? [p.key] : [])]));
      }
    }
  };
  const visitSteps = (steps: readonly TraversalStep[], names: ReadonlySet<string>) => {
    for (const s of steps) if ('index' in s) visit(s.index, names);
  };
  const visit = (e: Expr, names: ReadonlySet<string>): void => {
    switch (e.kind) {
      case 'traversal':
        if (!names.has(e.root)) found.add(e.root);
        return visitSteps(e.steps, names);
      case 'get':
        visit(e.target, names);
        return visitSteps(e.steps, names);
      case 'tuple':
        return e.items.forEach((i) => visit(i, names));
      case 'object':
        for (const entry of e.entries) {
          if (typeof entry.key !== 'string') visit(entry.key, names);
          visit(entry.value, names);
        }
        return;
      case 'call':
        return e.args.forEach((a) => visit(a, names));
      case 'template':
      case 'heredoc':
        return visitParts(e.parts, names);
      case 'conditional':
        return [e.cond, e.then, e.else].forEach((x) => visit(x, names));
      case 'for': {
        visit(e.collection, names);
        const inner = new Set([...names, e.valueVar, ...(e.keyVar ? [e.keyVar] : [])]);
        return [e.key, e.value, e.cond].forEach((x) => x && visit(x, inner));
      }
      case 'binary':
        visit(e.left, names);
        return visit(e.right, names);
      case 'unary':
        return visit(e.operand, names);
      case 'paren':
        return visit(e.expr, names);
      default:
        return;
    }
  };
  visitParts(parts, new Set());
  return found;
}
