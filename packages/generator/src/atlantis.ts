import {
  atlantisBackendFile,
  atlantisBootstrapState,
  atlantisVarFile,
  type AtlantisProjectOverride,
  type Environment,
} from '@atlas/core';
import { stringify } from 'yaml';

/** What a pull request needs before Atlantis applies a project. */
const APPLY_REQUIREMENTS = ['approved', 'mergeable', 'undiverged'];

export interface AtlantisProject {
  readonly name: string;
  readonly dir: string;
  readonly workflow: string;
  /** Globs relative to `dir` whose change triggers a plan. */
  readonly whenModified: readonly string[];
}

/** The Atlantis projects of an estate: each environment's root module, and its bootstrap. */
export function atlantisProjects(environments: readonly Environment[]): AtlantisProject[] {
  return environments.flatMap((env) => {
    const dir = `generated/environments/${env.name}`;
    const modules = [...new Set(env.modules.map((m) => m.definition.name))].sort();
    return [
      {
        name: `${env.name}-bootstrap`,
        dir: `${dir}/bootstrap`,
        workflow: `${env.name}-bootstrap`,
        whenModified: ['*.tf'],
      },
      {
        name: env.name,
        dir,
        workflow: env.name,
        whenModified: [
          '*.tf',
          ...modules.flatMap((m) => [`../../modules/${m}/*.tf`, `../../modules/${m}/templates/*`]),
        ],
      },
    ];
  });
}

/**
 * The repository's atlantis.yaml: OpenTofu for every project, plans when the
 * project or a module it uses changes, applies only when approved, mergeable
 * and up to date. Init reads the backend settings and plan the variable values
 * that Atlantis keeps on its data volume: they hold credentials, so they are
 * never in git. A project sets only the restricted keys the server allows.
 */
export function atlantisConfig(environments: readonly Environment[]): string {
  const projects = atlantisProjects(environments);
  const workflows: Record<string, unknown> = {};
  for (const env of environments) {
    workflows[`${env.name}-bootstrap`] = workflow(
      `-backend-config=path=${atlantisBootstrapState(env.name)}`,
      `${env.name}-bootstrap`,
    );
    workflows[env.name] = workflow(`-backend-config=${atlantisBackendFile(env.name)}`, env.name);
  }
  return stringify(
    {
      version: 3,
      automerge: false,
      parallel_plan: true,
      parallel_apply: false,
      projects: projects.map((p) => {
        const { workflow, apply_requirements }: Record<AtlantisProjectOverride, unknown> = {
          workflow: p.workflow,
          apply_requirements: [...APPLY_REQUIREMENTS],
        };
        return {
          name: p.name,
          dir: p.dir,
          workspace: 'default',
          terraform_distribution: 'opentofu',
          workflow,
          autoplan: { enabled: true, when_modified: [...p.whenModified] },
          apply_requirements,
        };
      }),
      workflows,
    },
    { lineWidth: 0 },
  );
}

/** Init with the project's backend settings, plan with its variable values; apply runs the saved plan. */
function workflow(backendArg: string, project: string) {
  return {
    plan: {
      steps: [
        { init: { extra_args: ['-input=false', backendArg] } },
        { plan: { extra_args: [`-var-file=${atlantisVarFile(project)}`] } },
      ],
    },
    apply: { steps: ['apply'] },
  };
}
