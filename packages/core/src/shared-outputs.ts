import type { Expr } from '@atlas/hcl';
import type { Environment } from './environment-model.js';
import type { ConfigIssue } from './errors.js';
import type { OutputSpec } from './module.js';
import { remoteOutputName } from './remote.js';

/**
 * Cross-environment wiring (C3): every remote-state output an environment
 * reads must be a module output of the environment it names; add each one to
 * that environment's outputs, and report the ones that resolve to nothing.
 */
export function shareRemoteOutputs(
  environments: readonly Environment[],
  issues: ConfigIssue[],
): Environment[] {
  const byName = new Map(environments.map((e) => [e.name.replace(/-/g, '_'), e]));
  const shared = new Map<string, Record<string, OutputSpec>>();
  for (const consumer of environments) {
    for (const remote of consumer.remoteStates) {
      const producer = byName.get(remote.environment);
      if (!producer || producer === consumer) {
        issues.push({
          path: [consumer.name, 'remoteStates', remote.environment],
          message: producer
            ? 'an environment cannot read its own state'
            : `reads environment "${remote.environment}", which is not in the estate`,
        });
        continue;
      }
      for (const name of remote.outputs) {
        const found = producer.modules.flatMap((call) =>
          Object.entries(call.definition.body.outputs)
            .filter(([output]) => remoteOutputName(call.name, output) === name)
            .map(([output, spec]) => ({ call, output, spec })),
        );
        if (found.length !== 1) {
          issues.push({
            path: [consumer.name, 'remoteStates', remote.environment, name],
            message: found.length
              ? `matches several module outputs of "${producer.name}"`
              : `"${producer.name}" has no module output that this names (expected <module>_<output>)`,
          });
          continue;
        }
        const { call, output, spec } = found[0]!;
        const outputs = shared.get(producer.name) ?? {};
        outputs[name] = {
          description: `${call.name}: ${spec.description} Read by other environments through terraform_remote_state.`,
          value: (call.outputs as Readonly<Record<string, Expr>>)[output]!,
          type: spec.type,
          ...(spec.sensitive ? { sensitive: true } : {}),
        };
        shared.set(producer.name, outputs);
      }
    }
  }
  return environments.map((env) => {
    const extra = shared.get(env.name);
    // References name an environment as an HCL identifier (edge_01); its state lives under its real name (edge-01).
    const remoteStates = env.remoteStates.map((r) => ({
      ...r,
      environment: byName.get(r.environment)?.name ?? r.environment,
    }));
    return { ...env, remoteStates, ...(extra ? { outputs: { ...env.outputs, ...extra } } : {}) };
  });
}
