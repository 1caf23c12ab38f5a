import type { Expr } from '@atlas/hcl';
import { z } from 'zod';

/**
 * A host that OpenTofu creates and Ansible configures (the hybrid pattern).
 * An environment lists these in its `<group>_instances` output and their
 * variables, by instance, in `<group>_ansible_vars`; the dynamic inventory
 * turns both into an Ansible group with host variables.
 */
export interface AnsibleHost {
  readonly name: string;
  readonly ansible: {
    /** Inventory group, and the `hosts:` of the playbook that configures it. */
    readonly group: string;
    /** The Incus instance Ansible connects to (the module's `instance_name` output). */
    readonly host: Expr;
    /** Variables for the group's role on this host (the module's `ansible_vars` output). */
    readonly vars: Expr;
  };
}

export const ansibleHostSchema = z.custom<AnsibleHost>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { name?: unknown }).name === 'string' &&
    typeof (v as { ansible?: { group?: unknown } }).ansible?.group === 'string',
  { message: 'expected a host configured by Ansible (the value forgejoRunner(…) returns)' },
);
