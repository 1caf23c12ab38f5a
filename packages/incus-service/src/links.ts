import {
  callName,
  ConfigError,
  hostOf,
  isCluster,
  remapToRemote,
  type Link,
  type NetworkAttachment,
  type Site,
} from '@atlas/core';
import {
  binary,
  cond,
  literal,
  nil,
  ref,
  template,
  tpl,
  type Expr,
  type TemplatePart,
} from '@atlas/hcl';

/**
 * Links that route (issue 9). A reference between services keeps where its
 * producer lives — environment (through the network's site), network,
 * instance, cluster member and port — and each consumer resolves it to an
 * address it can reach: Incus DNS on the same network, the instance's address
 * across networks of one host, a port published on the producer's host, the
 * instance's LAN address, or an OVN forward on a routed LAN address.
 */

/** Where one service instance runs. */
export interface Placement {
  readonly instance: string;
  /** The module call in its environment. */
  readonly call: string;
  readonly network: NetworkAttachment;
  /** The cluster member it is pinned to. */
  readonly targetNode?: string;
  /** `module.<call>.ipv4_address`: its address on its own network. */
  readonly address: Expr;
}

/** One port of a placed service, and the value a consumer writes for it. */
export interface Reachable {
  /** Kept as it is by fromEnvironment: it describes the producer from its own environment. */
  readonly kind: 'reachable';
  readonly at: Placement;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** The value on the producer's own network: a module output such as `module.loki01.push_url`. */
  readonly local: Expr;
  /** The same value for another `host:port`, e.g. `http://192.168.68.5:3100/loki/api/v1/push` (`host` alone too). */
  readonly via: (hostPort: Expr | string, host: Expr | string) => Expr;
}

/** Where a placed service's port is, for the capabilities its builder returns. */
export function reachable(
  at: Placement,
  port: number,
  local: Expr,
  via: (hostPort: Expr | string, host: Expr | string) => Expr = (hostPort) => tpl`${hostPort}`,
  protocol: 'tcp' | 'udp' = 'tcp',
): Reachable {
  return { kind: 'reachable', at, port, protocol, local, via };
}

/** The placement of a service built with these options as module call `call`. */
export function placement(
  options: {
    readonly name: string;
    readonly network: NetworkAttachment;
    readonly targetNode?: string;
  },
  call = callName(options.name),
): Placement {
  return {
    instance: options.name,
    call,
    network: options.network,
    ...(options.targetNode ? { targetNode: options.targetNode } : {}),
    address: ref(`module.${call}.ipv4_address`),
  };
}

/** Who uses a link: a service on a network, or the Incus host of a site (e.g. the daemon's logging). */
export interface LinkConsumer {
  readonly name: string;
  readonly network?: NetworkAttachment;
  readonly site?: Site;
  /** Clients on the LAN (e.g. of a split-horizon DNS), not on any Incus network. */
  readonly onLan?: boolean;
  /** The cluster member it is pinned to; undefined when Incus places it (or it is the host itself). */
  readonly targetNode?: string;
}

/**
 * Whether two instances of `site` are known to share a host: always on a single host (or an
 * environment that declares none), on a cluster only when both are pinned to the same member.
 */
function sameMember(site: Site | undefined, a: string | undefined, b: string | undefined) {
  if (!isCluster(site)) return true;
  return a !== undefined && a === b;
}

/** Whether two instances of `site` are known to run on different members of its cluster. */
function otherMembers(site: Site | undefined, a: string | undefined, b: string | undefined) {
  return !sameMember(site, a, b) && a !== undefined && b !== undefined;
}

/** `target`, resolved to its host only (an A record), with `local` as the same-network value. */
export const hostOnly = (target: Reachable, local: Expr): Reachable => ({
  ...target,
  local,
  via: (_hostPort, host) => (typeof host === 'string' ? tpl`${host}` : host),
});

export interface ResolvedLink {
  readonly value: Expr;
  readonly link: Link;
}

/** Each forwarded instance's listen address, per site: one routed address per instance, in build order. */
const forwardAddresses = new WeakMap<Site, Map<string, string>>();

function forwardAddress(site: Site, instance: string): string | undefined {
  const taken = forwardAddresses.get(site) ?? new Map<string, string>();
  forwardAddresses.set(site, taken);
  const existing = taken.get(instance);
  if (existing) return existing;
  const free = site.ovn?.vips.find((v) => ![...taken.values()].includes(v));
  if (free) taken.set(instance, free);
  return free;
}

/**
 * Resolve `target` for `consumer`, writing it to the consumer's variable
 * `arg`. Throws a ConfigError naming both ends and what would make the link
 * reachable when there is no address the consumer can route to.
 */
export function resolveLink(consumer: LinkConsumer, target: Reachable, arg: string): ResolvedLink {
  const resolved = resolve(consumer, target, arg);
  return { ...resolved, value: flatTemplate(resolved.value) };
}

/** `"http://${"${a}:3100"}"` written as `"http://${a}:3100"`: a template interpolated into another is spliced in. */
function flatTemplate(e: Expr): Expr {
  if (e.kind === 'conditional')
    return { ...e, then: flatTemplate(e.then), else: flatTemplate(e.else) };
  return e.kind === 'template' ? template(flatParts(e.parts)) : e;
}

function flatParts(input: readonly TemplatePart[]): TemplatePart[] {
  const parts: TemplatePart[] = [];
  for (const p of input) {
    if (p.kind === 'interp' && p.expr.kind === 'template') parts.push(...flatParts(p.expr.parts));
    else if (p.kind === 'interp' && p.expr.kind === 'string') parts.push(literal(p.expr.value));
    else parts.push(p);
  }
  return parts.reduce<TemplatePart[]>((out, p) => {
    const last = out[out.length - 1];
    if (last?.kind === 'literal' && p.kind === 'literal')
      out[out.length - 1] = literal(last.value + p.value);
    else out.push(p);
    return out;
  }, []);
}

function resolve(consumer: LinkConsumer, target: Reachable, arg: string): ResolvedLink {
  const at = target.at;
  const producerSite = at.network.site;
  const consumerSite = consumer.network?.site ?? consumer.site;
  const producerEnv = producerSite?.environment;
  const consumerEnv = consumerSite?.environment;
  const sameEnvironment =
    producerEnv === undefined || consumerEnv === undefined || producerEnv === consumerEnv;
  const port = target.port;
  const who = sameEnvironment ? at.instance : `${at.instance} of ${producerEnv}`;
  const where = `${at.instance} (${producerEnv ? `${producerEnv}, ` : ''}${at.network.role} network, ${at.network.mode})`;
  const base = {
    arg,
    consumer: {
      ...(consumerEnv ? { environment: consumerEnv } : {}),
      instance: consumer.name,
      ...(consumer.network ? { network: consumer.network.role } : {}),
      ...(consumer.targetNode ? { member: consumer.targetNode } : {}),
    },
    producer: {
      ...(producerEnv ? { environment: producerEnv } : {}),
      instance: at.instance,
      call: at.call,
      network: at.network.role,
      mode: at.network.mode,
      ...(at.targetNode ? { member: at.targetNode } : {}),
    },
    port,
    protocol: target.protocol,
  };
  const fail = (why: string, fix: string): never => {
    throw new ConfigError([
      {
        path: [...(consumerEnv ? [consumerEnv] : []), consumer.name, arg],
        message: `${consumer.name}${consumerEnv ? ` (${consumerEnv})` : ''} cannot reach ${where}: ${why}; ${fix}`,
      },
    ]);
  };

  // Same network: the DNS of that network answers <instance>.incus.
  const incusDns = (where: string): ResolvedLink => ({
    value: target.local,
    link: {
      ...base,
      kind: 'incus-dns',
      address: `${at.instance}.incus:${port}`,
      reason: `${at.instance}: same network (${at.network.role}${where}), Incus DNS answers ${at.instance}.incus`,
    },
  });

  const published = (site: Site, whyHost: string): ResolvedLink => {
    const host = hostOf(site, at.targetNode);
    if (at.targetNode !== undefined && !host) {
      return fail(
        `it is pinned to "${at.targetNode}", which ${site.environment} does not declare`,
        `declare that member's LAN address in ${site.environment}'s site`,
      );
    }
    if (!host) {
      return fail(
        `${site.environment} is a cluster and ${at.instance} may run on any member, so no host address reaches its published port (${whyHost})`,
        `pin it with targetNode to one of ${site.hosts.map((h) => h.name).join(', ')}`,
      );
    }
    const hostPort = `${host.lanAddress}:${port}`;
    return {
      value: target.via(hostPort, host.lanAddress),
      link: {
        ...base,
        kind: 'published',
        address: hostPort,
        reason: `${who}: ${whyHost}; published on port ${port} of ${site.environment}'s host ${host.name} (${host.lanAddress})`,
        publication: {
          kind: 'proxy',
          listen: host.lanAddress,
          port,
          protocol: target.protocol,
          network: at.network.network,
        },
      },
    };
  };
  const forwarded = (site: Site | undefined, why: string): ResolvedLink => {
    const listen = site ? forwardAddress(site, at.instance) : undefined;
    if (!site || !listen) {
      return fail(
        `${why}, and ${producerEnv ?? 'its environment'} has no free routed uplink address for a network forward`,
        `declare the OVN uplink and its routed addresses (site.ovn.vips) of ${producerEnv ?? 'the producer'}`,
      );
    }
    const hostPort = `${listen}:${port}`;
    return {
      value: target.via(hostPort, listen),
      link: {
        ...base,
        kind: 'forward',
        address: hostPort,
        reason: `${who}: ${why}; OVN network forward on ${listen} (routed by ${site.ovn!.network})`,
        publication: {
          kind: 'forward',
          listen,
          port,
          protocol: target.protocol,
          network: at.network.network,
        },
      },
    };
  };

  if (at.network.mode === 'ovn') {
    // An OVN network spans the cluster's members, and so does the DNS of its router.
    if (sameEnvironment && consumer.network?.role === at.network.role) return incusDns('');
    return forwarded(producerSite, sameEnvironment ? 'another OVN network' : 'another environment');
  }

  if (sameEnvironment) {
    const site = producerSite ?? consumerSite;
    const together = sameMember(site, consumer.targetNode, at.targetNode);
    const consumerWhere =
      consumer.targetNode !== undefined
        ? `runs on ${consumer.targetNode}`
        : consumer.network
          ? 'may run on any member'
          : 'is every member of the cluster';
    const byAddress = (kind: 'routed' | 'lan', reason: string): ResolvedLink => ({
      value: target.via(tpl`${at.address}:${port}`, at.address),
      link: { ...base, kind, address: `<${at.instance} address>:${port}`, reason },
    });
    const publishedHere = (why: string): ResolvedLink => {
      if (!site)
        return fail(
          `${why} and the environment declares no host address`,
          'declare the site of the environment (defineSite) so the port can be published',
        );
      // A macvlan instance cannot reach its own host either: only another member's address.
      const host = hostOf(site, at.targetNode);
      if (consumer.network?.mode === 'physical' && host)
        if (!otherMembers(site, consumer.targetNode, host.name))
          return fail(
            `${why}, and ${consumer.name} is on the ${consumer.network.role} macvlan, which cannot reach its own host's address (${host.name}, ${host.lanAddress})${isCluster(site) && consumer.targetNode === undefined ? ' and Incus may place it there' : ''}`,
            isCluster(site)
              ? `pin ${consumer.name} with targetNode to a member other than ${host.name}`
              : `attach ${consumer.name} to a bridge network, or leave out this link`,
          );
      return published(site, why);
    };

    if (at.network.mode === 'physical') {
      // A macvlan instance is on the LAN, and so are the others on that parent, but the host
      // it runs on cannot reach it: not itself, nor the bridges it routes for.
      const fromLan =
        consumer.onLan ||
        consumer.network?.mode === 'physical' ||
        otherMembers(site, consumer.targetNode, at.targetNode);
      if (fromLan)
        return byAddress(
          'lan',
          `${at.instance}: its LAN address (${at.network.role} is a macvlan on the LAN${consumer.network?.mode === 'physical' || consumer.onLan ? '' : `, and ${consumer.name} runs on another member`})`,
        );
      return publishedHere(
        `${at.network.role} is a macvlan, which the host ${consumer.network ? `routing ${consumer.network.role}` : `(${consumer.name})`} cannot reach on its own member`,
      );
    }

    // A bridge exists on every member as a segment of its own, with its own DNS and addresses.
    if (consumer.network?.role === at.network.role) {
      if (together) return incusDns(isCluster(site) ? ` on ${at.targetNode}` : '');
      return publishedHere(
        `${at.network.role} is a bridge per member and ${consumer.name} ${consumerWhere}`,
      );
    }
    // The host routes between its own bridges.
    const onHost = consumer.network ? consumer.network.mode === 'bridge' : !consumer.onLan;
    if (onHost && together)
      return byAddress(
        'routed',
        `${at.instance}: by address, the host routes to its ${at.network.role} bridge (whose DNS ${consumer.network ? `${consumer.network.role} does not share` : 'the host does not use'})`,
      );
    if (onHost)
      return publishedHere(
        `${at.network.role} is a bridge per member and ${consumer.name} ${consumerWhere}`,
      );
    // A LAN consumer has no route into the host's NAT bridge.
    return publishedHere(`its ${at.network.role} bridge is NAT-ed`);
  }

  if (at.network.mode === 'physical') {
    // Only the producer's state knows the address its LAN's DHCP gave it.
    const remoteAddress = remapToRemote(at.address, producerEnv!);
    return {
      value: cond(
        binary('==', remoteAddress, nil),
        nil,
        target.via(tpl`${remoteAddress}:${port}`, remoteAddress),
      ),
      link: {
        ...base,
        kind: 'lan',
        address: `<${at.instance} LAN address>:${port}`,
        reason: `${who}: its LAN address from ${producerEnv}'s state (null until ${producerEnv} is applied)`,
        remote: true,
      },
    };
  }
  return published(producerSite!, 'another environment');
}

/**
 * The value `consumer` writes to `arg` for a capability: resolved for it when
 * the capability carries its producer (`link`), else `given` as it is.
 * The resolved link is added to `into`, for the call's `links` option.
 */
export function linkedValue(
  consumer: LinkConsumer,
  link: Reachable | undefined,
  given: Expr,
  arg: string,
  into: Link[],
): Expr {
  if (!link) return given;
  const resolved = resolveLink(consumer, link, arg);
  into.push(resolved.link);
  return resolved.value;
}
