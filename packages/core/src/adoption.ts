import { ref, str, type Block, type BodyItem, type Expr } from '@atlas/hcl';
import type { ResourceType } from '@atlas/providers';
import type { ConfigIssue, IssuePath } from './errors.js';
import { isModuleCall, type ModuleCall } from './module.js';

/**
 * An object that exists before Atlas (made by hand, by IncusOS, or by an earlier
 * OpenTofu project) and that a module of the environment manages from now on. It is
 * rendered as an `import {}` block of the root module (OpenTofu and Terraform 1.5+), so
 * the adoption is a line in the reviewed diff and the plan says "N to import" instead of
 * failing on "already exists".
 */
export interface Adoption {
  readonly kind: 'adoption';
  /** The module call whose resource takes the object over. */
  readonly module: ModuleCall;
  /** The resource inside that module, `<type>.<name>` as its main.tf declares it. */
  readonly resource: `${ResourceType}.${string}`;
  /** The instance key when the resource has for_each (a string) or count (a number). */
  readonly key?: string | number;
  /** The provider's import ID: for Incus objects `[<remote>:][<project>/]<name>`. */
  readonly id: string;
  /** Why the object already exists: the comment above the import block. */
  readonly reason: string;
}

export interface AdoptionSpec {
  readonly key?: string | number;
  readonly id: string;
  readonly reason: string;
}

/** Adopt an existing object into `module`'s `resource` (see {@link Adoption}). */
export function adopt(
  module: ModuleCall,
  resource: Adoption['resource'],
  spec: AdoptionSpec,
): Adoption {
  return { kind: 'adoption', module, resource, ...spec };
}

/** `module.<call>.<type>.<name>[<key>]`: where the imported object's state goes. */
export function adoptionAddress(adoption: Adoption): Expr {
  const { key } = adoption;
  const to = `module.${adoption.module.name}.${adoption.resource}`;
  if (key === undefined) return ref(to);
  return ref(to, typeof key === 'number' ? key : str(key));
}

/** `count` or `for_each` of a resource block, when it has one, and its expression. */
function repetition(item: Block): { kind: 'count' | 'for_each'; value: Expr } | undefined {
  for (const entry of item.body)
    if (entry.kind === 'attribute' && (entry.name === 'count' || entry.name === 'for_each'))
      return { kind: entry.name, value: entry.value };
  return undefined;
}

/**
 * The keys a `for_each = var.<name>` takes from the call, when the call passes that
 * variable as an object literal with plain keys (as the builders do); else unknown.
 */
function forEachKeys(call: ModuleCall, forEach: Expr): string[] | undefined {
  if (forEach.kind !== 'traversal' || forEach.root !== 'var' || forEach.steps.length !== 1)
    return undefined;
  const step = forEach.steps[0]!;
  const arg = 'attr' in step ? call.args.get(step.attr) : undefined;
  if (arg?.kind !== 'object') return undefined;
  const keys = arg.entries.map((e) => e.key);
  return keys.every((k): k is string => typeof k === 'string') ? keys : undefined;
}

const resourceBlocks = (items: readonly BodyItem[]): Block[] =>
  items.filter((i): i is Block => i.kind === 'block' && i.type === 'resource');

/**
 * Every way an adoption can point at nothing: a module that is not this environment's, a
 * resource its module does not declare, a key that does not fit the resource's count or
 * for_each, an empty ID, or two adoptions of one address.
 */
export function adoptionIssues(
  adoptions: readonly unknown[],
  calls: ReadonlyMap<string, ModuleCall>,
  at: (...path: IssuePath) => IssuePath,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  adoptions.forEach((value, i) => {
    const path = (...more: IssuePath) => at('imports', i, ...more);
    const a = value as Partial<Adoption> | null;
    if (a?.kind !== 'adoption') {
      issues.push({ path: path(), message: 'expected an adoption (the value adopt(…) returns)' });
      return;
    }
    if (!isModuleCall(a.module) || calls.get(a.module.name) !== a.module) {
      issues.push({
        path: path('module'),
        message: `expected a module call of this environment, got ${isModuleCall(a.module) ? `"${a.module.name}", which is not part of it` : 'something else'}`,
      });
      return;
    }
    if (a.module.options.count !== undefined)
      issues.push({
        path: path('module'),
        message: `module "${a.module.name}" has count; adopt into a module that is always there`,
      });
    const declared = resourceBlocks(a.module.definition.body.resources);
    const target = declared.find((b) => b.labels.join('.') === a.resource);
    if (!target) {
      issues.push({
        path: path('resource'),
        message: `module "${a.module.definition.name}" declares no resource ${JSON.stringify(a.resource)}; it has ${declared.map((b) => b.labels.join('.')).join(', ') || 'none'}`,
      });
      return;
    }
    const repeated = repetition(target)?.kind;
    const wanted =
      repeated === 'for_each' ? 'string' : repeated === 'count' ? 'number' : 'undefined';
    if (typeof a.key !== wanted || (typeof a.key === 'number' && !Number.isInteger(a.key)))
      issues.push({
        path: path('key'),
        message:
          repeated === undefined
            ? `${a.resource} is a single resource (no count or for_each): leave out key`
            : `${a.resource} has ${repeated}: expected its ${repeated === 'count' ? 'index (an integer)' : 'for_each key (a string)'}, got ${JSON.stringify(a.key)}`,
      });
    const keys =
      repeated === 'for_each' && typeof a.key === 'string'
        ? forEachKeys(a.module, repetition(target)!.value)
        : undefined;
    if (keys && !keys.includes(a.key as string))
      issues.push({
        path: path('key'),
        message: `module "${a.module.name}" makes ${a.resource} for ${keys.map((k) => JSON.stringify(k)).join(', ') || 'no keys'}, not ${JSON.stringify(a.key)}`,
      });
    if (typeof a.id !== 'string' || a.id.trim() === '')
      issues.push({
        path: path('id'),
        message: "expected the object's import ID (its Incus name)",
      });
    if (typeof a.reason !== 'string' || a.reason.trim() === '' || /[\r\n]/.test(a.reason))
      issues.push({
        path: path('reason'),
        message: 'expected one line saying why the object exists before Atlas',
      });
    const address = `${a.module.name}.${a.resource}[${JSON.stringify(a.key ?? null)}]`;
    const first = seen.get(address);
    if (first !== undefined)
      issues.push({
        path: path(),
        message: `imports the same address as imports[${first}]: one object per address`,
      });
    else seen.set(address, i);
  });
  return issues;
}
