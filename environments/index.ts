import { alertmanagerModule } from '@atlas/alertmanager';
import { alloyModule } from '@atlas/alloy';
import { atlantisModule } from '@atlas/atlantis';
import { baseModule } from '@atlas/base';
import { cloudflaredModule } from '@atlas/cloudflared';
import { corednsModule } from '@atlas/coredns';
import { forgejoRunnerModule } from '@atlas/forgejo-runner';
import type { ModuleDefinition } from '@atlas/core';
import { defineEstate, type Estate } from '@atlas/generator';
import { grafanaModule } from '@atlas/grafana';
import { incusLokiModule } from '@atlas/incus-loki';
import { incusMetricsModule } from '@atlas/incus-metrics';
import { incusVmModule } from '@atlas/incus-vm';
import { lokiModule } from '@atlas/loki';
import { mosquittoModule } from '@atlas/mosquitto';
import { nodeExporterModule } from '@atlas/node-exporter';
import { ovnCentralModule } from '@atlas/ovn-central';
import { ovnLbModule } from '@atlas/ovn-lb';
import { prometheusModule } from '@atlas/prometheus';
import { promtailModule } from '@atlas/promtail';
import { stepCaModule } from '@atlas/step-ca';
import { cluster01, cluster01Shared } from './cluster01.js';
import { iapetus, iapetusShared } from './iapetus.js';
import { BRIDGE, type NetworkChoice } from './networks.js';

export { BRIDGE, type NetworkChoice } from './networks.js';

/** Every module Atlas publishes under generated/modules, whether an environment uses it yet or not. */
export const ALL_MODULES: readonly ModuleDefinition[] = [
  alertmanagerModule,
  alloyModule,
  atlantisModule,
  baseModule,
  cloudflaredModule,
  corednsModule,
  forgejoRunnerModule,
  grafanaModule,
  incusLokiModule,
  incusMetricsModule,
  incusVmModule,
  lokiModule,
  mosquittoModule,
  nodeExporterModule,
  ovnCentralModule,
  ovnLbModule,
  prometheusModule,
  promtailModule,
  stepCaModule,
];

export interface EstateNetworks {
  readonly iapetus: NetworkChoice;
  readonly cluster01: NetworkChoice;
}

/**
 * The estate with each environment's network mode. Each environment first
 * builds what the other one uses (iapetus's Loki and CA; cluster01's
 * Prometheus and Alertmanager), then the rest, so the two can refer to each
 * other through typed references.
 */
export function atlasEstate(
  networks: EstateNetworks = { iapetus: BRIDGE, cluster01: BRIDGE },
): Estate {
  const iapetusSide = iapetusShared(networks.iapetus);
  const cluster01Side = cluster01Shared(networks.cluster01, iapetusSide);
  return defineEstate({
    environments: [iapetus(iapetusSide, cluster01Side), cluster01(cluster01Side, iapetusSide)],
    modules: ALL_MODULES,
    repository: 'https://github.com/accuser-dev/atlas.git',
  });
}

/** What `pnpm generate` renders: both environments in bridge mode. */
export default atlasEstate();
