import type { Expr } from '@atlas/hcl';
import { z } from 'zod';
import type { HclType } from './hcl-type.js';
import type { VariableSpec } from './module.js';
import { nullable, type Rule, type Validation } from './rules.js';

/** A module variable a call may leave out: OpenTofu uses its default (`null`: no value). */
export type DefaultedVariable<V> = VariableSpec<V> & { readonly default: V | null };
/** A module variable every call must pass. */
export type RequiredVariable<V> = Omit<VariableSpec<V>, 'default'>;

/** The HCL type of a value: an enum of strings is a string there, a list of them a list of strings. */
type Widened<V> = V extends string
  ? string
  : V extends number
    ? number
    : V extends boolean
      ? boolean
      : V extends readonly (infer E)[]
        ? Widened<E>[]
        : V;

/** What a service input says once: everything but its checks, which come from a rule or a schema. */
export interface InputSpec<V> {
  readonly type: HclType<Widened<V>>;
  readonly description: string;
  /**
   * The seeds' default: the builder option's default and the variable's. `null` makes the
   * input optional with no value; leave it out for an input every call must pass.
   */
  readonly default?: V | null;
  readonly sensitive?: boolean;
  readonly nullable?: boolean;
  /** HCL validations besides the rule's (for checks zod makes in its own way). */
  readonly validations?: (self: Expr) => readonly Validation[];
  readonly example?: unknown;
}

type HasDefault<Sp> = Sp extends { readonly default: unknown } ? true : false;

/** The builder option's schema: optional when the default is null, defaulted when there is one. */
export type InputSchema<S extends z.ZodType, Sp> = Sp extends { readonly default: null }
  ? z.ZodOptional<S>
  : HasDefault<Sp> extends true
    ? z.ZodDefault<S>
    : S;

export interface Input<S extends z.ZodType = z.ZodType, Sp = InputSpec<unknown>> {
  readonly kind: 'service-input';
  /** The module variable: type, description, default and validation. */
  readonly variable: HasDefault<Sp> extends true
    ? DefaultedVariable<z.output<S>>
    : RequiredVariable<z.output<S>>;
  /** The builder option, with the seeds' default. */
  readonly schema: InputSchema<S, Sp>;
  /** The call's argument for `value`: left out when it is the default, so main.tf shows only what differs. */
  arg<A extends z.output<S> | undefined>(value: A): A | undefined;
}

/**
 * Whether two argument values are the same HCL value: lists item by item, objects key by
 * key, where an undefined field is a missing one (a call leaves both out).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b))
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]))
    );
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const fields = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined);
  const [left, right] = [fields(a), fields(b)];
  const other = new Map(right);
  return (
    left.length === right.length &&
    left.every(([k, v]) => other.has(k) && sameValue(v, other.get(k)))
  );
}

/** The one "omit when default" rule: a value equal to the module's default is not passed. */
export function unlessDefault<A>(value: A, dflt: unknown): A | undefined {
  return value === undefined || sameValue(value, dflt) ? undefined : value;
}

const isRule = (check: z.ZodType | Rule): check is Rule => 'validation' in check;

/**
 * Declare a service input once. `check` is a rule (enforced by zod when the estate is built
 * and by a `validation` block in the module) or a zod schema alone (the module's type is the
 * HCL side's check); `spec` holds the rest.
 */
export function input<S extends z.ZodType, Sp extends InputSpec<z.output<S>>>(
  check: S | Rule<S>,
  spec: Sp,
): Input<S, Sp> {
  const schema = isRule(check) ? check.schema : check;
  const rules = isRule(check) ? [spec.default === null ? nullable(check) : check] : [];
  const { default: dflt, ...rest } = spec;
  const variable = {
    ...rest,
    ...('default' in spec ? { default: dflt } : {}),
    ...(rules.length ? { rules } : {}),
  };
  const option =
    dflt === null
      ? schema.optional()
      : dflt === undefined
        ? schema
        : (schema as z.ZodType<unknown>).default(dflt);
  return {
    kind: 'service-input',
    variable: variable as Input<S, Sp>['variable'],
    schema: option as InputSchema<S, Sp>,
    arg: (value) => unlessDefault(value, dflt),
  };
}

type VariableOf<X> = X extends Input<z.ZodType, unknown> ? X['variable'] : X;

/** The module variables of a record of inputs and plain variables, in its order. */
export function variablesOf<
  R extends Readonly<Record<string, Input<any, any> | VariableSpec<any>>>,
>(record: R): { readonly [K in keyof R]: VariableOf<R[K]> } {
  return Object.fromEntries(
    Object.entries(record).map(([name, x]) => [
      name,
      (x as { kind?: unknown }).kind === 'service-input' ? (x as Input).variable : x,
    ]),
  ) as { readonly [K in keyof R]: VariableOf<R[K]> };
}

/** The rule, with the value its module test should be rejected with (a bound, say, rather than any bad value). */
export function rejecting<S extends z.ZodType>(rule: Rule<S>, rejects: unknown): Rule<S> {
  return { ...rule, validation: (self) => ({ ...rule.validation(self), rejects }) };
}
