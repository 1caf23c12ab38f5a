import {
  call,
  interp,
  isExpr,
  literal,
  str,
  template,
  whenBlock,
  type Expr,
  type TemplatePart,
} from '@atlas/hcl';
import { stringify } from 'yaml';

/** A file cloud-init writes on first boot. `content` may be an expression evaluated by `templatefile()`. */
export interface CloudInitFile {
  readonly path: string;
  readonly content: string | Expr;
  readonly permissions?: string;
  readonly owner?: string;
  /** Write after packages are installed (so the package's user and folders exist). */
  readonly defer?: boolean;
  /** A template variable (bool): write the file only when it is true. */
  readonly when?: Expr;
}

export interface AptSource {
  /** The `deb …` line; `$KEY_FILE` is replaced by cloud-init with the stored key's path. */
  readonly source: string;
  /** A key id, fetched from `keyserver`. */
  readonly keyid?: string;
  /** An ASCII-armoured public key. */
  readonly key?: string;
  readonly keyserver?: string;
}

export interface CloudInitConfig {
  /** Debian packages; an expression renders one pinned, e.g. `prometheus=2.53.3+ds1-2`. */
  readonly packages?: ReadonlyArray<string | Expr>;
  readonly aptSources?: Readonly<Record<string, AptSource>>;
  readonly writeFiles?: readonly CloudInitFile[];
  /** Commands run once, in order, at the end of first boot. Arrays run without a shell; an expression is a shell command built by the template. */
  readonly runcmd?: ReadonlyArray<string | Expr | readonly string[]>;
  /** Users and groups to create before files are written. */
  readonly users?: ReadonlyArray<{
    readonly name: string;
    readonly system?: boolean;
    readonly homedir?: string;
    readonly shell?: string;
  }>;
}

const PLACEHOLDER = /atlas_expr_(\d+)_placeholder/g;

/**
 * Renders `#cloud-config` user-data as the text of a `templatefile()` template.
 * Literal text is escaped by the template printer; expressions become
 * `${jsonencode(expr)}`, which is always a valid YAML double-quoted scalar.
 * A file with `when` is wrapped in `%{ if … }` so it is written only then.
 */
export function cloudInitTemplate(config: CloudInitConfig): TemplatePart[] {
  const exprs: Expr[] = [];
  const hold = (value: string | Expr): string => {
    if (!isExpr(value)) return value;
    exprs.push(value);
    return `atlas_expr_${exprs.length - 1}_placeholder`;
  };
  const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0, blockQuote: 'literal' });
  const parts: TemplatePart[] = [literal('#cloud-config\n')];
  const text = (source: string) => {
    let last = 0;
    for (const match of source.matchAll(PLACEHOLDER)) {
      parts.push(literal(source.slice(last, match.index)));
      parts.push(interp(call('jsonencode', [exprs[Number(match[1])]!])));
      last = match.index + match[0].length;
    }
    parts.push(literal(source.slice(last)));
  };

  const head: Record<string, unknown> = {};
  if (config.aptSources && Object.keys(config.aptSources).length)
    head.apt = { sources: config.aptSources };
  if (config.packages?.length) {
    head.package_update = true;
    head.packages = config.packages.map(hold);
  }
  if (config.users?.length) head.users = config.users.map((u) => ({ ...u }));
  if (Object.keys(head).length) text(yaml(head));

  if (config.writeFiles?.length) {
    parts.push(literal('write_files:\n'));
    for (const f of config.writeFiles) {
      const item = yaml([
        {
          path: f.path,
          ...(f.owner ? { owner: f.owner } : {}),
          permissions: f.permissions ?? '0644',
          ...(f.defer ? { defer: true } : {}),
          content: hold(f.content),
        },
      ]);
      if (f.when) {
        const at = parts.length;
        text(item);
        parts.push(whenBlock(f.when, parts.splice(at)), literal('\n'));
      } else text(item);
    }
  }
  if (config.runcmd?.length)
    text(
      yaml({
        runcmd: config.runcmd.map((c) => (typeof c === 'string' || isExpr(c) ? hold(c) : [...c])),
      }),
    );
  return parts.filter((p) => p.kind !== 'literal' || p.value !== '');
}

/**
 * First-boot commands that trust a vendor's apt repository and install from it
 * (Grafana's repository carries Grafana, Loki, Alloy and Promtail).
 */
export function aptRepositoryInstall(
  repo: { name: string; keyUrl: string; url: string; suite: string; component: string },
  packages: ReadonlyArray<string | Expr>,
): Array<string | Expr> {
  const keyring = `/etc/apt/keyrings/${repo.name}.gpg`;
  // Keep configuration files cloud-init already wrote.
  const install =
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold';
  return [
    'install -d -m 0755 /etc/apt/keyrings',
    `curl -fsSL ${repo.keyUrl} | gpg --dearmor -o ${keyring}`,
    `echo "deb [signed-by=${keyring}] ${repo.url} ${repo.suite} ${repo.component}" > /etc/apt/sources.list.d/${repo.name}.list`,
    'apt-get update',
    packages.every((p) => typeof p === 'string')
      ? `${install} ${packages.join(' ')}`
      : template(
          [install, ...packages].flatMap((p, i) => [
            ...(i ? [literal(' ')] : []),
            ...(typeof p === 'string'
              ? [literal(p)]
              : p.kind === 'template'
                ? p.parts
                : [interp(p)]),
          ]),
        ),
  ];
}

export const GRAFANA_APT_REPOSITORY = {
  name: 'grafana',
  keyUrl: 'https://apt.grafana.com/gpg.key',
  url: 'https://apt.grafana.com',
  suite: 'stable',
  component: 'main',
} as const;

export const SMALLSTEP_APT_REPOSITORY = {
  name: 'smallstep',
  keyUrl: 'https://packages.smallstep.com/keys/apt/repo-signing-key.gpg',
  url: 'https://packages.smallstep.com/stable/debian',
  suite: 'debs',
  component: 'main',
} as const;

/** Template parts for a POSIX shell single-quoted word holding `value`, whatever characters it has. */
export function shellQuoted(value: Expr): TemplatePart[] {
  return [literal("'"), interp(call('replace', [value, str("'"), str("'\\''")])), literal("'")];
}
