import {
  T,
  ansibleGroup,
  input,
  output,
  packageInfo,
  variablesOf,
  type Validation,
} from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import { binary, call, forList, num, object, ref, str } from '@atlas/hcl';
import { z } from 'zod';
import { eachElement, forgejoUrl, runnerLabel, runnerName, semver } from './rules.js';

/**
 * Sizing of a runner (the seeds give none; these are Atlas's choices):
 * - 2 CPUs and 2GB: jobs run inside this container, and a typical Node or Go
 *   build needs that much under a hard memory limit;
 * - a 10GB root disk: the runner binary, Docker's image store and the job
 *   work folders live there, far more than the 1–2GB of the other services;
 * - a data volume for the actions cache only, off by default: every job can
 *   rebuild the cache, and the registration lives in /etc/forgejo-runner and is
 *   redone with a token when lost. Turning it on keeps the cache across
 *   rebuilds of the container; a cache is not worth snapshots, so they stay off
 *   unless asked for (weekly, kept a week).
 */
export const FORGEJO_RUNNER_DEFAULTS = {
  instanceName: 'forgejo-runner01',
  profileName: 'forgejo-runner',
  cpu: 2,
  memory: '2GB',
  rootDiskSize: '10GB',
  dataVolume: {
    enabled: false,
    size: '10GB',
    mountPath: '/var/lib/forgejo-runner/cache',
    snapshots: { schedule: '@weekly', expiry: '1w' },
  },
} as const;

/** Forgejo Runner release installed unless the environment pins another. */
export const DEFAULT_RUNNER_VERSION = '12.8.2';

/** Python for Ansible and its apt module: everything else is Ansible's job. */
export const BOOTSTRAP_PACKAGES = ['python3', 'python3-apt'] as const;

/** The runner's own inputs, declared once: the builder's options and the module's variables. */
export const FORGEJO_RUNNER_INPUTS = {
  forgejo_url: input(forgejoUrl, {
    type: T.string,
    description: 'Forgejo instance the runner takes jobs from.',
    example: 'https://forgejo.example.com',
  }),
  runner_labels: input(z.array(runnerLabel.schema).min(1, 'expected at least one label'), {
    type: T.list(T.string),
    description:
      'Labels the runner offers, each "name:docker://image" (jobs in a container of that image) or "name:host" (jobs on the runner itself). Docker labels turn on nesting so Docker runs in the container.',
    validations: (self): Validation[] => [
      {
        condition: binary('>', call('length', [self]), num(0)),
        errorMessage: 'List at least one label.',
        rejects: [],
      },
      eachElement(runnerLabel, self, 'label', ['not a label']),
      {
        condition: binary(
          '==',
          call('length', [
            call('distinct', [
              forList(
                'label',
                self,
                call('element', [call('split', [str(':'), ref('label')]), num(0)]),
              ),
            ]),
          ]),
          call('length', [self]),
        ),
        errorMessage: 'Label names (before the first ":") must be unique.',
        rejects: ['docker:docker://node:20-bookworm', 'docker:host'],
      },
    ],
    example: ['docker:docker://node:20-bookworm', 'trixie:docker://debian:trixie'],
  }),
  runner_version: input(semver, {
    type: T.string,
    description:
      'Forgejo Runner release to install; Ansible downloads and verifies it, and changing it upgrades the runner.',
    default: DEFAULT_RUNNER_VERSION,
  }),
  runner_name: input(runnerName, {
    type: T.string,
    description: 'Name the runner registers under in Forgejo; null uses the instance name.',
    default: null,
  }),
};

/** S18: the hybrid pattern's reference — OpenTofu creates the runner, Ansible configures it. */
export const forgejoRunnerModule = incusServiceModule({
  name: 'forgejo-runner',
  package: packageInfo(import.meta.url),
  description:
    'Forgejo Actions runner in an Incus system container, provisioned the hybrid way: OpenTofu creates the instance with a minimal cloud-init (Python for Ansible) and outputs ansible_vars; the Ansible role forgejo_runner installs, configures and registers the runner.',
  defaults: FORGEJO_RUNNER_DEFAULTS,
  variables: {
    ...variablesOf(FORGEJO_RUNNER_INPUTS),
  },
  build: (v) => ({
    locals: {
      uses_docker: {
        value: call('anytrue', [
          forList(
            'label',
            v.runner_labels,
            call('can', [call('regex', [str(':docker://'), ref('label')])]),
          ),
        ]),
        comment: 'Docker-backed labels need Docker inside this container, so nesting.',
      },
    },
    cloudInit: { config: { packages: [...BOOTSTRAP_PACKAGES] } },
    instanceConfig: {
      'security.nesting': call('tostring', [ref('local.uses_docker')]),
      // Let image layers create device nodes and extended attributes in an unprivileged container.
      'security.syscalls.intercept.mknod': call('tostring', [ref('local.uses_docker')]),
      'security.syscalls.intercept.setxattr': call('tostring', [ref('local.uses_docker')]),
    },
    outputs: {
      ansible_vars: output({
        description:
          'Variables for the Ansible role forgejo_runner: where to register, with which labels, which release, under which name.',
        value: object({
          forgejo_url: v.forgejo_url,
          runner_labels: v.runner_labels,
          runner_version: v.runner_version,
          runner_name: call('coalesce', [v.runner_name, v.instance_name]),
        }),
        type: T.object({
          forgejo_url: T.string,
          runner_labels: T.list(T.string),
          runner_version: T.string,
          runner_name: T.string,
        }),
      }),
    },
  }),
});

/** Ansible inventory group the environment puts runners in, and the `hosts:` of ansible/playbooks/forgejo-runner.yml. */
export const ANSIBLE_GROUP = ansibleGroup(forgejoRunnerModule.name);
