import { call, get, isExpr, ref, type Expr, type TraversalStep } from '@atlas/hcl';
import { isModuleCall, type ModuleCall } from './module.js';
import { ConfigError } from './errors.js';

/** The root-module output name under which `module.<call>.<output>` is shared with other environments. */
export const remoteOutputName = (callName: string, output: string) =>
  `${callName}_${output}`.replace(/-/g, '_');

/**
 * `one(data.terraform_remote_state.<environment>[*].outputs.<name>)`: the data
 * source is counted (read only once that environment has been applied), so
 * the output is null until then instead of failing the plan.
 */
export const remoteOutput = (environment: string, name: string): Expr =>
  call('one', [
    ref(`data.terraform_remote_state.${environment.replace(/-/g, '_')}`, '*', 'outputs', name),
  ]);

/** Rewrite every reference to a module output into a lookup in `environment`'s state. */
export function remapToRemote(expr: Expr, environment: string): Expr {
  const remap = (e: Expr): Expr => {
    if (e.kind === 'traversal' && e.root === 'module') {
      const [callStep, outputStep, ...rest] = e.steps;
      if (callStep && 'attr' in callStep && outputStep && 'attr' in outputStep) {
        return withSteps(
          remoteOutput(environment, remoteOutputName(callStep.attr, outputStep.attr)),
          rest,
        );
      }
    }
    // A counted call's output, one(module.x[*].y), is shared as one value.
    if (e.kind === 'call' && e.name === 'one' && e.args.length === 1) {
      const inner = e.args[0]!;
      if (inner.kind === 'traversal' && inner.root === 'module') {
        const [callStep, splat, outputStep] = inner.steps;
        if (
          callStep &&
          'attr' in callStep &&
          splat &&
          'splat' in splat &&
          outputStep &&
          'attr' in outputStep
        ) {
          return remoteOutput(environment, remoteOutputName(callStep.attr, outputStep.attr));
        }
      }
    }
    return mapChildren(e, remap);
  };
  return remap(expr);
}

function withSteps(base: Expr, steps: readonly TraversalStep[]): Expr {
  if (steps.length === 0) return base;
  return get(base, ...steps.map((s) => ('attr' in s ? s.attr : 'splat' in s ? '*' : s.index)));
}

/** Apply `f` to the direct child expressions of `e`. */
function mapChildren(e: Expr, f: (e: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'tuple':
      return { ...e, items: e.items.map(f) };
    case 'object':
      return {
        ...e,
        entries: e.entries.map((x) => ({
          key: typeof x.key === 'string' ? x.key : f(x.key),
          value: f(x.value),
        })),
      };
    case 'call':
      return call(e.name, e.args.map(f), e.expandFinal ? { expandFinal: true } : {});
    case 'template':
    case 'heredoc':
      return {
        ...e,
        parts: e.parts.map((p) => (p.kind === 'interp' ? { ...p, expr: f(p.expr) } : p)),
      };
    case 'conditional':
      return { ...e, cond: f(e.cond), then: f(e.then), else: f(e.else) };
    case 'binary':
      return { ...e, left: f(e.left), right: f(e.right) };
    case 'unary':
      return { ...e, operand: f(e.operand) };
    case 'paren':
      return { ...e, expr: f(e.expr) };
    case 'get':
      return { ...e, target: f(e.target) };
    default:
      return e;
  }
}

/** Capabilities of an instance with every reference rewritten; module-call internals are left out. */
export type Remote<T> = Omit<T, 'kind' | 'definition' | 'args' | 'options'> & {
  readonly environment: string;
};

/**
 * Use a service of another environment (C3): `fromEnvironment('cluster01', prometheus01)`
 * keeps the instance's typed capabilities (metrics target, push URL, …). A
 * capability that carries where its producer lives (a link) is resolved for
 * each consumer from the producer's declared site (see links.ts); any other
 * output it points at is read from that environment's state through
 * `terraform_remote_state`. The estate adds the matching outputs to the
 * producing environment and rejects references it cannot resolve.
 */
export function fromEnvironment<T extends ModuleCall>(environment: string, instance: T): Remote<T> {
  const remapValue = (value: unknown): unknown => {
    if (isExpr(value)) return remapToRemote(value, environment);
    if (Array.isArray(value)) return value.map(remapValue);
    // Where the producer lives stays as its own environment sees it; consumers resolve from there.
    if ((value as { kind?: unknown } | null)?.kind === 'reachable') return value;
    if (
      typeof value === 'object' &&
      value !== null &&
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapValue(v)]));
    }
    return value;
  };
  // A user's mistake (plain JavaScript, or a cast), so a ConfigError: exit 2, not a bug.
  if (!isModuleCall(instance))
    throw new ConfigError([
      {
        path: ['fromEnvironment', environment],
        message: 'expected a module call (what a service builder returns)',
      },
    ]);
  const copy: Record<string, unknown> = { environment };
  for (const [key, value] of Object.entries(instance)) {
    if (key === 'kind' || key === 'definition' || key === 'args' || key === 'options') continue;
    copy[key] = remapValue(value);
  }
  return copy as Remote<T>;
}
