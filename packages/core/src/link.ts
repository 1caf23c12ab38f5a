import type { Expr } from '@atlas/hcl';
import type { NetworkMode } from './site.js';

// The record of a resolved link (links.ts resolves them): what module calls keep, and what the
// summary and the publication step read. A leaf, so the module model can hold links.

/**
 * How a link is reached: `incus-dns` on the same network; `routed` by the
 * instance's address through the host; `published` on a port of the
 * producer's host; `lan` at the instance's own LAN address; `forward` on a
 * routed LAN address of an OVN network forward.
 */
export type LinkKind = 'incus-dns' | 'routed' | 'published' | 'lan' | 'forward';

/** What the producer's environment must add so that a link routes. */
export interface Publication {
  readonly kind: 'proxy' | 'forward';
  /** LAN address consumers use: the host's (proxy device) or the forward's listen address. */
  readonly listen: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** The producer's Incus network (an expression), which a forward belongs to. */
  readonly network: Expr;
}

/** A resolved link, kept on the consumer's module call (for the summary and the publication step). */
export interface Link {
  /** The consumer's module variable the address is written to. */
  readonly arg: string;
  readonly consumer: {
    readonly environment?: string;
    readonly instance: string;
    /** Network role, or undefined for the Incus host itself. */
    readonly network?: string;
    /** The cluster member it is pinned to. */
    readonly member?: string;
  };
  readonly producer: {
    readonly environment?: string;
    readonly instance: string;
    readonly call: string;
    readonly network: string;
    readonly mode: NetworkMode;
    /** The cluster member it is pinned to. */
    readonly member?: string;
  };
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly kind: LinkKind;
  /** The `host:port` the consumer uses, as text (`loki01.incus:3100`, `192.168.68.5:3100`). */
  readonly address: string;
  /** One line: why this address reaches the producer. */
  readonly reason: string;
  readonly publication?: Publication;
  /** Set when the address is read from the producer's state: null until that environment is applied. */
  readonly remote?: boolean;
}
