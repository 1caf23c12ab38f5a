// A synthetic estate of N services for the benchmark, built from the packages'
// published entry points (dist/), exactly as a consumer would import them.
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { grafana } from '@atlas/grafana';
import { loki } from '@atlas/loki';
import { prometheus, scrapeJob } from '@atlas/prometheus';

const PER_ENVIRONMENT = 60;

/** N services in environments of up to 60: Loki, Prometheus scraping it, Grafana querying both. */
export function syntheticEstate(services) {
  const environments = [];
  for (let e = 0; e * PER_ENVIRONMENT < services; e++) {
    const count = Math.min(PER_ENVIRONMENT, services - e * PER_ENVIRONMENT);
    const base = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1/24' } } });
    const modules = [base.call];
    for (let i = 0; i + 3 <= count; i += 3) {
      const n = String(i / 3 + 1).padStart(2, '0');
      const network = base.attach('management');
      const l = loki({ name: `loki${n}`, network });
      const p = prometheus({ name: `prometheus${n}`, network, scrapeJobs: [scrapeJob('loki', l)] });
      const g = grafana({
        name: `grafana${n}`,
        network,
        domain: `grafana${n}.example.com`,
        datasources: [{ source: p, isDefault: true }, { source: l }],
      });
      modules.push(l, p, g);
    }
    environments.push(
      defineEnvironment({
        name: `env${e + 1}`,
        description: `Synthetic environment ${e + 1}.`,
        modules,
      }),
    );
  }
  return defineEstate({ environments, repository: 'https://example.com/atlas.git' });
}
