import type { Environment } from '@atlas/core';
import { stringify } from 'yaml';

/** Where the Atlantis container keeps what must not be in git (see the atlantis module's data volume). */
export const ATLANTIS_DATA_DIR = '/atlantis-data';

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
 * project or a module it uses changes, applies only when approved and
 * mergeable, and init reads the backend settings Atlantis keeps on its data
 * volume (they hold credentials, so they are never in git).
 */
export function atlantisConfig(environments: readonly Environment[]): string {
  const projects = atlantisProjects(environments);
  const workflows: Record<string, unknown> = {};
  for (const env of environments) {
    workflows[`${env.name}-bootstrap`] = initWorkflow(
      `-backend-config=path=${ATLANTIS_DATA_DIR}/bootstrap/${env.name}.tfstate`,
    );
    workflows[env.name] = initWorkflow(
      `-backend-config=${ATLANTIS_DATA_DIR}/backends/${env.name}.hcl`,
    );
  }
  return stringify(
    {
      version: 3,
      automerge: false,
      parallel_plan: true,
      parallel_apply: false,
      projects: projects.map((p) => ({
        name: p.name,
        dir: p.dir,
        workspace: 'default',
        terraform_distribution: 'opentofu',
        workflow: p.workflow,
        autoplan: { enabled: true, when_modified: [...p.whenModified] },
        plan_requirements: [],
        apply_requirements: ['approved', 'mergeable', 'undiverged'],
      })),
      workflows,
    },
    { lineWidth: 0 },
  );
}

function initWorkflow(backendArg: string) {
  return {
    plan: { steps: [{ init: { extra_args: ['-input=false', backendArg] } }, 'plan'] },
    apply: { steps: ['apply'] },
  };
}
