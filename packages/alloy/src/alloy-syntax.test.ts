import { ref } from '@atlas/hcl';
import { previewModule, renderTemplate, scopeOf } from '@atlas/preview';
import { describe, expect, it } from 'vitest';
import {
  alloyObject,
  alloyString,
  alloyTemplate,
  attribute,
  block,
  each,
  hclValue,
  list,
  reference,
  when,
} from './alloy-syntax.js';
import { CONFIG_FILE, alloyModule } from './module.js';

// No Alloy binary is packaged for Debian, so this is a reader for the part of Alloy's syntax
// the module writes, following its scanner and parser (grafana/alloy syntax/scanner, syntax/parser):
// Go string escapes, newlines that end statements, commas between list items and object fields,
// identifier labels. It throws on anything Alloy would reject.

type Token =
  | { kind: 'ident' | 'number' | 'punct' | 'terminator' | 'eof'; text: string; line: number }
  | { kind: 'string'; text: string; value: string; line: number };

const PUNCT = new Set(['{', '}', '[', ']', '(', ')', ',', '.', '=']);

function decodeString(raw: string, line: number): string {
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const ch = raw[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = raw[++i]!;
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
    };
    if (e in simple) {
      out += simple[e];
      continue;
    }
    const [digits, base] =
      e === 'x'
        ? [2, 16]
        : e === 'u'
          ? [4, 16]
          : e === 'U'
            ? [8, 16]
            : /[0-7]/.test(e)
              ? [3, 8]
              : [0, 0];
    if (!digits) throw new Error(`line ${line}: unknown escape sequence \\${e}`);
    const start = /[0-7]/.test(e) ? i : i + 1;
    const text = raw.slice(start, start + digits);
    const valid = base === 8 ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/;
    if (text.length !== digits || !valid.test(text))
      throw new Error(`line ${line}: malformed escape \\${e}${text}`);
    const code = Number.parseInt(text, base);
    if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))
      throw new Error(`line ${line}: escape is not a Unicode code point`);
    out += String.fromCodePoint(code);
    i = start + digits - 1;
  }
  return out;
}

function tokenize(src: string): Token[] {
  // Alloy's scanner checks every character, inside strings too.
  if (src.indexOf('\uFEFF', 1) !== -1) throw new Error('illegal byte order mark');
  if (src.includes('\0')) throw new Error('illegal character NUL');
  const tokens: Token[] = [];
  let line = 1;
  let insertTerm = false;
  let i = 0;
  const push = (t: Token, term: boolean) => {
    tokens.push(t);
    insertTerm = term;
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\uFEFF') {
      i++;
    } else if (ch === '\n') {
      if (insertTerm) push({ kind: 'terminator', text: '\n', line }, false);
      line++;
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (/[A-Za-z_]/.test(ch)) {
      const text = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      push({ kind: 'ident', text, line }, true);
      i += text.length;
    } else if (/[0-9]/.test(ch)) {
      const text = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))![0];
      push({ kind: 'number', text, line }, true);
      i += text.length;
    } else if (ch === '"') {
      let j = i + 1;
      while (src[j] !== '"') {
        if (j >= src.length || src[j] === '\n')
          throw new Error(`line ${line}: string literal not terminated`);
        j += src[j] === '\\' ? 2 : 1;
      }
      const text = src.slice(i, j + 1);
      push({ kind: 'string', text, value: decodeString(text, line), line }, true);
      i = j + 1;
    } else if (PUNCT.has(ch)) {
      push({ kind: 'punct', text: ch, line }, ch === '}' || ch === ']' || ch === ')');
      i++;
    } else throw new Error(`line ${line}: illegal character ${JSON.stringify(ch)}`);
  }
  if (insertTerm) tokens.push({ kind: 'terminator', text: '\n', line });
  tokens.push({ kind: 'eof', text: '', line });
  return tokens;
}

/** A reference to a component's export, e.g. `loki.write.default.receiver`. */
class Reference {
  constructor(readonly path: string) {}
}
type Value = string | number | boolean | null | Reference | Value[] | { [key: string]: Value };

interface ParsedBlock {
  readonly name: string;
  readonly label?: string;
  readonly attributes: Record<string, Value>;
  readonly blocks: ParsedBlock[];
}

function parseAlloy(src: string): ParsedBlock {
  const tokens = tokenize(src);
  let at = 0;
  const peek = () => tokens[at]!;
  const fail = (what: string): never => {
    const t = peek();
    throw new Error(`line ${t.line}: expected ${what}, got ${JSON.stringify(t.text) || t.kind}`);
  };
  const take = (text: string) =>
    peek().text === text && peek().kind === 'punct' ? tokens[at++]! : fail(text);
  const ident = () => (peek().kind === 'ident' ? tokens[at++]!.text : fail('an identifier'));

  function expression(): Value {
    const t = peek();
    if (t.kind === 'string') return (at++, t.value);
    if (t.kind === 'number') return (at++, Number(t.text));
    if (t.kind === 'ident') {
      at++;
      if (t.text === 'true' || t.text === 'false') return t.text === 'true';
      if (t.text === 'null') return null;
      const path = [t.text];
      while (peek().text === '.') {
        at++;
        path.push(ident());
      }
      return new Reference(path.join('.'));
    }
    if (t.text === '[') {
      at++;
      const items: Value[] = [];
      while (peek().text !== ']') {
        items.push(expression());
        if (peek().text === ']') break;
        take(',');
      }
      take(']');
      return items;
    }
    if (t.text === '{') {
      at++;
      const fields: Record<string, Value> = {};
      while (peek().text !== '}') {
        const key = peek();
        // Alloy takes a quoted key's text between the quotes, without unescaping it.
        if (key.kind === 'string') fields[key.text.slice(1, -1)] = (at++, take('='), expression());
        else fields[ident()] = (take('='), expression());
        if (peek().text === '}') break;
        take(',');
      }
      take('}');
      return fields;
    }
    return fail('an expression');
  }

  function body(until: 'eof' | '}', into: ParsedBlock): void {
    while (!(until === 'eof' ? peek().kind === 'eof' : peek().text === '}')) {
      const name = [ident()];
      while (peek().text === '.') {
        at++;
        name.push(ident());
      }
      let label: string | undefined;
      const t = peek();
      if (t.kind === 'string') {
        label = t.value;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text.slice(1, -1)))
          throw new Error(`line ${t.line}: block label ${t.text} is not an identifier`);
        at++;
      }
      if (peek().text === '=' && label === undefined && name.length === 1) {
        at++;
        if (name[0]! in into.attributes) throw new Error(`attribute ${name[0]} set twice`);
        into.attributes[name[0]!] = expression();
      } else {
        take('{');
        const child: ParsedBlock = {
          name: name.join('.'),
          ...(label === undefined ? {} : { label }),
          attributes: {},
          blocks: [],
        };
        body('}', child);
        take('}');
        into.blocks.push(child);
      }
      if (until === '}' && peek().text === '}') break;
      if (peek().kind !== 'terminator') fail('a new line after the statement');
      at++;
    }
  }

  const file: ParsedBlock = { name: '', attributes: {}, blocks: [] };
  body('eof', file);
  return file;
}

/** Every reference names a component declared in the file, with the export its attribute needs. */
function referenceProblems(file: ParsedBlock): string[] {
  const declared = new Set(file.blocks.map((b) => `${b.name}.${b.label}`));
  const problems: string[] = [];
  const exports: Record<string, string> = {
    forward_to: 'receiver',
    relabel_rules: 'rules',
    targets: 'targets',
  };
  const walk = (value: Value, attribute: string, where: string) => {
    if (value instanceof Reference) {
      const component = value.path.slice(0, value.path.lastIndexOf('.'));
      const exported = value.path.slice(value.path.lastIndexOf('.') + 1);
      if (!declared.has(component)) problems.push(`${where}: ${value.path} names no component`);
      if (exports[attribute] && exported !== exports[attribute])
        problems.push(`${where}: ${attribute} takes .${exports[attribute]}, not .${exported}`);
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, attribute, where));
    else if (value !== null && typeof value === 'object')
      Object.values(value).forEach((v) => walk(v, attribute, where));
  };
  const visit = (block: ParsedBlock, where: string) => {
    for (const [name, value] of Object.entries(block.attributes))
      walk(value, name, `${where}.${name}`);
    block.blocks.forEach((b) => visit(b, `${where}.${b.name}`));
  };
  file.blocks.forEach((b) => visit(b, `${b.name}.${b.label}`));
  return problems;
}

const component = (file: ParsedBlock, name: string) => {
  const found = file.blocks.find((b) => `${b.name}.${b.label}` === name);
  if (!found) throw new Error(`no component ${name}`);
  return found;
};

const ADVERSARIAL = [
  '',
  'plain',
  'quote " and backslash \\ and \\n literally',
  '${var.x} %{ if true }x%{ endif } $${ %%{',
  'line\nbreak\r\ttab',
  'control \u0001 \u001f \u007f bell \u0007',
  'byte order mark \uFEFF inside',
  'unicode é 漢字 🎉 \u2028 \u2029 עברית',
  '"',
  '\\',
  '<script>&amp;</script>',
];

describe('the test reader of Alloy syntax', () => {
  it('rejects what Alloy rejects', () => {
    for (const bad of [
      'x = "unterminated\n',
      'x = "bad escape \\q"\n',
      'x = "raw\nnewline"\n',
      '# not a comment\n',
      'x = ["a", "b"\n]\n',
      'x = { a = 1\n}\n',
      'loki.write "not an identifier" {\n}\n',
      'a { b = 1 } c = 2\n',
      'x = "byte order \uFEFF mark"\n',
    ])
      expect(() => parseAlloy(bad), bad).toThrow();
  });

  it('finds references to components that are not declared, or to the wrong export', () => {
    const file = parseAlloy(
      'loki.source.file "a" {\n  forward_to = [loki.write.b.receiver, loki.source.file.a.targets]\n}\n',
    );
    expect(referenceProblems(file)).toEqual([
      'loki.source.file.a.forward_to: loki.write.b.receiver names no component',
      'loki.source.file.a.forward_to: forward_to takes .receiver, not .targets',
    ]);
  });
});

describe('Alloy strings', () => {
  it('read back as the same value, whatever they hold', () => {
    for (const value of ADVERSARIAL) {
      const file = parseAlloy(`x = ${alloyString(value)}\n`);
      expect(file.attributes.x).toBe(value);
    }
  });

  it('refuse text that is not UTF-8', () => {
    expect(() => alloyString('\uD800')).toThrow(RangeError);
  });
});

describe('the Alloy renderer', () => {
  const render = (
    names: Record<string, unknown>,
    statements: Parameters<typeof alloyTemplate>[0],
  ) => renderTemplate(alloyTemplate(statements), scopeOf(names as never));

  it('writes blocks, aligned attributes, lists and objects that Alloy reads back', () => {
    const text = render({}, [
      block('loki.write', 'default', [
        attribute('external_labels', alloyObject({ env: 'test', team: 'ops' })),
        block('endpoint', undefined, [
          attribute('url', 'http://loki:3100/loki/api/v1/push'),
          attribute('retry_on_http_429', true),
          attribute('batch_wait', '1s'),
        ]),
      ]),
      block('loki.source.file', 'app', [
        attribute('targets', list([alloyObject({ __path__: '/var/log/app.log' })])),
        attribute('forward_to', list([reference('loki.write.default.receiver')])),
      ]),
    ]);
    expect(text).toBe(
      [
        'loki.write "default" {',
        '  external_labels = {',
        '    env  = "test",',
        '    team = "ops",',
        '  }',
        '',
        '  endpoint {',
        '    url               = "http://loki:3100/loki/api/v1/push"',
        '    retry_on_http_429 = true',
        '    batch_wait        = "1s"',
        '  }',
        '}',
        '',
        'loki.source.file "app" {',
        '  targets = [',
        '    {',
        '      __path__ = "/var/log/app.log",',
        '    },',
        '  ]',
        '  forward_to = [loki.write.default.receiver]',
        '}',
        '',
      ].join('\n'),
    );
    expect(referenceProblems(parseAlloy(text))).toEqual([]);
  });

  it('repeats and omits parts as the OpenTofu values say, keeping them well-formed', () => {
    const statements = [
      block('loki.relabel', 'x', [
        attribute('forward_to', list([])),
        when(ref('strict'), [block('rule', undefined, [attribute('action', 'keep')])]),
        each('u', ref('units'), [
          block('rule', undefined, [attribute('replacement', hclValue(ref('u')))]),
        ]),
        attribute('labels', alloyObject({ job: 'x' }, ref('labels'))),
        attribute(
          'targets',
          list([], {
            iterator: 'p',
            collection: ref('paths'),
            item: alloyObject({ __path__: hclValue(ref('p')) }),
          }),
        ),
      ]),
    ];
    const full = parseAlloy(
      render(
        {
          strict: true,
          units: ['a"b', 'c\\d'],
          labels: { k1: 'v"1', k2: '${v2}' },
          paths: ['/a', '/b'],
        },
        statements,
      ),
    ).blocks[0]!;
    expect(full.blocks.map((b) => b.attributes)).toEqual([
      { action: 'keep' },
      { replacement: 'a"b' },
      { replacement: 'c\\d' },
    ]);
    expect(full.attributes.labels).toEqual({ job: 'x', k1: 'v"1', k2: '${v2}' });
    expect(full.attributes.targets).toEqual([{ __path__: '/a' }, { __path__: '/b' }]);

    const empty = parseAlloy(
      render({ strict: false, units: [], labels: {}, paths: [] }, statements),
    ).blocks[0]!;
    expect(empty.blocks).toEqual([]);
    expect(empty.attributes.labels).toEqual({ job: 'x' });
    expect(empty.attributes.targets).toEqual([]);
  });

  it('accepts only identifiers where Alloy reads text as is', () => {
    expect(() => block('loki.write', 'not an identifier', [])).toThrow(TypeError);
    expect(() => attribute('a-b', 1)).toThrow(TypeError);
    expect(() => render({}, [attribute('o', alloyObject({ 'a.b': 'x' }))])).toThrow(TypeError);
    expect(() => reference('receiver')).toThrow(TypeError);
  });
});

describe(`the module's ${CONFIG_FILE}`, () => {
  const base = {
    profiles: ['base', 'management'],
    loki_push_url: 'http://loki01.incus:3100/loki/api/v1/push',
  };
  const configOf = (inputs: Record<string, unknown>) => {
    const preview = previewModule(alloyModule, { ...base, ...inputs });
    expect(preview.validationErrors).toEqual([]);
    const file = preview.files.get(CONFIG_FILE);
    if (!file) throw new Error(`cloud-init writes no ${CONFIG_FILE}`);
    return parseAlloy(file.content);
  };

  it('ships the journal through the relabel rules to Loki, and every reference resolves', () => {
    const config = configOf({
      labels: { environment: 'cluster01', host: 'node1' },
      units: [
        { unit: 'mosquitto.service', service: 'mqtt' },
        { unit: 'coredns.service', service: 'coredns' },
      ],
    });
    expect(referenceProblems(config)).toEqual([]);
    expect(config.blocks.map((b) => `${b.name}.${b.label}`)).toEqual([
      'loki.source.journal.journal',
      'loki.source.journal.uploaded',
      'loki.relabel.journal',
      'local.file_match.varlogs',
      'loki.source.file.varlogs',
      'loki.write.loki',
    ]);
    const journal = component(config, 'loki.source.journal.journal');
    expect(journal.attributes).toEqual({
      max_age: '12h',
      relabel_rules: new Reference('loki.relabel.journal.rules'),
      labels: { job: 'systemd-journal', environment: 'cluster01', host: 'node1' },
      forward_to: [new Reference('loki.write.loki.receiver')],
    });
    // What the environment's instances upload goes through the same rules, with the same labels.
    expect(component(config, 'loki.source.journal.uploaded').attributes).toEqual({
      path: '/var/log/journal/remote',
      ...journal.attributes,
    });
    const rules = component(config, 'loki.relabel.journal').blocks.map((b) => b.attributes);
    const unitLabel = ['__journal__systemd_unit'];
    expect(rules).toEqual([
      {
        action: 'keep',
        source_labels: unitLabel,
        regex: 'mosquitto\\.service|coredns\\.service',
      },
      { source_labels: unitLabel, target_label: 'unit' },
      { source_labels: unitLabel, regex: '(.+)\\.service', target_label: 'service' },
      { source_labels: ['__journal_priority_keyword'], target_label: 'level' },
      { source_labels: ['__journal__hostname'], target_label: 'instance' },
      {
        source_labels: unitLabel,
        regex: 'mosquitto\\.service',
        target_label: 'service',
        replacement: 'mqtt',
      },
      {
        source_labels: unitLabel,
        regex: 'coredns\\.service',
        target_label: 'service',
        replacement: 'coredns',
      },
    ]);
    // Relabel regexes are anchored RE2: the unit's own name only, dots literal.
    const keep = new RegExp(`^(?:${rules[0]!.regex as string})$`);
    expect(['mosquitto.service', 'coredns.service'].every((u) => keep.test(u))).toBe(true);
    expect(
      ['mosquittoXservice', 'sshd.service', 'coredns.service.d'].some((u) => keep.test(u)),
    ).toBe(false);
    expect(component(config, 'local.file_match.varlogs').attributes.path_targets).toEqual([
      { __path__: '/var/log/*.log', job: 'varlogs', environment: 'cluster01', host: 'node1' },
    ]);
    expect(component(config, 'loki.write.loki').blocks).toEqual([
      {
        name: 'endpoint',
        attributes: { url: 'http://loki01.incus:3100/loki/api/v1/push' },
        blocks: [],
      },
    ]);
  });

  it('ships the whole journal, and no files, when neither units nor files are listed', () => {
    const config = configOf({ log_files: [], journal_max_age: '1h30m' });
    expect(referenceProblems(config)).toEqual([]);
    expect(config.blocks.map((b) => b.name)).toEqual([
      'loki.source.journal',
      'loki.source.journal',
      'loki.relabel',
      'loki.write',
    ]);
    expect(component(config, 'loki.source.journal.journal').attributes.max_age).toBe('1h30m');
    const rules = component(config, 'loki.relabel.journal').blocks.map((b) => b.attributes);
    expect(rules.map((r) => r.target_label)).toEqual(['unit', 'service', 'level', 'instance']);
  });

  it('keeps label values and service names exactly as given', () => {
    const labels = Object.fromEntries(ADVERSARIAL.map((value, i) => [`l${i}`, value]));
    const config = configOf({
      labels,
      units: ADVERSARIAL.filter((s) => s !== '').map((service, i) => ({
        unit: `unit${i}.service`,
        service,
      })),
    });
    expect(referenceProblems(config)).toEqual([]);
    expect(component(config, 'loki.source.journal.journal').attributes.labels).toEqual({
      job: 'systemd-journal',
      ...labels,
    });
    const replacements = component(config, 'loki.relabel.journal')
      .blocks.map((b) => b.attributes.replacement)
      .filter((r) => r !== undefined);
    expect(replacements).toEqual(ADVERSARIAL.filter((s) => s !== ''));
  });
});
