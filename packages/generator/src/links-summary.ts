import { serviceFacts, type Environment, type Link } from '@atlas/core';

/** A link with both of its environments filled in. */
interface PlacedLink extends Link {
  readonly consumerEnv: string;
  readonly producerEnv: string;
}

/** How a link is reached, naming the cluster member where that matters (bridges are per member). */
function how(l: Link): string {
  const member = l.producer.member;
  switch (l.kind) {
    case 'incus-dns':
      return `Incus DNS on the same network${member && l.producer.mode !== 'ovn' ? ` (both on ${member})` : ''}`;
    case 'routed':
      return `instance address, routed by the host${member ? ` (${member})` : ''}`;
    case 'published':
      return `port published on the producer's host${member ? ` ${member}` : ''} (proxy device)`;
    case 'lan':
      return 'instance LAN address';
    case 'forward':
      return 'OVN network forward on a routed LAN address';
  }
}

/** Every link of the estate, with the environment on each side. */
export function estateLinks(environments: readonly Environment[]): PlacedLink[] {
  return environments.flatMap((env) =>
    env.links.map((l) => ({
      ...l,
      consumerEnv: l.consumer.environment ?? env.name,
      producerEnv: l.producer.environment ?? env.name,
    })),
  );
}

const id = (...parts: string[]) => parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');
const cell = (text: string) => text.replace(/\|/g, '\\|');

/**
 * The SUMMARY.md section on links (issue 9): a table of every address this
 * environment's services are given or give out, and a Mermaid diagram of
 * hosts, networks, services and the flows between them.
 */
export function linkSummary(env: Environment, environments: readonly Environment[]): string {
  const links = estateLinks(environments).filter(
    (l) => l.consumerEnv === env.name || l.producerEnv === env.name,
  );
  if (!links.length) return '';
  const end = (environment: string, instance: string, network?: string) =>
    `\`${instance}\` (${environment === env.name ? '' : `${environment}, `}${network ?? 'host'})`;
  const rows = [
    ...new Map(
      links.map((l) => {
        const row = `| ${end(l.consumerEnv, l.consumer.instance, l.consumer.network)} | ${end(l.producerEnv, l.producer.instance, l.producer.network)} | \`${cell(l.address)}\` | ${how(l)}${l.remote ? ' (null until applied)' : ''} |`;
        return [row, row] as const;
      }),
    ).values(),
  ];
  return [
    '',
    '## Links',
    '',
    'Every address one service is given for another, and how it reaches its producer from where the',
    'consumer runs (Incus DNS answers `<instance>.incus` only on its own network of its own host;',
    "a cluster's bridges are one per member, so there only between instances pinned to one member).",
    '',
    '| Consumer | Producer | Address | How it is reached |',
    '|----------|----------|---------|-------------------|',
    ...rows,
    '',
    '```mermaid',
    ...diagram(env, environments, links),
    '```',
    '',
  ].join('\n');
}

function diagram(
  env: Environment,
  environments: readonly Environment[],
  links: readonly PlacedLink[],
): string[] {
  // Which services of which network to draw, per environment: all of this one's, the linked ones of others.
  const members = new Map<string, Map<string, Set<string>>>();
  const add = (environment: string, network: string | undefined, instance: string) => {
    const networks = members.get(environment) ?? new Map<string, Set<string>>();
    const key = network ?? '';
    networks.set(key, (networks.get(key) ?? new Set()).add(instance));
    members.set(environment, networks);
  };
  for (const f of serviceFacts(env)) if (f.network) add(env.name, f.network, f.instance);
  for (const l of links) {
    add(l.consumerEnv, l.consumer.network, l.consumer.instance);
    add(l.producerEnv, l.producer.network, l.producer.instance);
  }
  const lines = ['flowchart LR'];
  const order = [env.name, ...[...members.keys()].filter((e) => e !== env.name).sort()];
  for (const name of order) {
    const site = environments.find((e) => e.name === name)?.site;
    const hosts = site?.hosts.map((h) => `${h.name} ${h.lanAddress}`).join(', ');
    lines.push(`  subgraph ${id(name)}["${name}${hosts ? `: ${hosts}` : ''}"]`);
    for (const [network, instances] of [...members.get(name)!].sort(([a], [b]) =>
      a < b ? -1 : 1,
    )) {
      const nodes = [...instances].map((i) => `${id(name, i)}["${i}"]`);
      if (!network) {
        lines.push(...nodes.map((n) => `    ${n}`));
        continue;
      }
      lines.push(`    subgraph ${id(name, 'net', network)}["${network}"]`);
      lines.push(...nodes.map((n) => `      ${n}`));
      lines.push('    end');
    }
    lines.push('  end');
  }
  const edges = new Set<string>();
  for (const l of links) {
    const arrow = l.consumerEnv === l.producerEnv ? '-->' : '==>';
    edges.add(
      `  ${id(l.consumerEnv, l.consumer.instance)} ${arrow}|"${l.kind} ${l.address.replace(/[<>"]/g, '')}"| ${id(l.producerEnv, l.producer.instance)}`,
    );
  }
  lines.push(...edges);
  return lines;
}
