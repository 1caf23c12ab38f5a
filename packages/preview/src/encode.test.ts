import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonEncode, yamlEncode } from './encode.js';
import { UNKNOWN, type Value } from './value.js';

describe('jsonencode', () => {
  it('sorts keys, adds no spaces and escapes <, > and & like Go', () => {
    expect(jsonEncode({ name: 'Larry', age: 18 })).toBe('{"age":18,"name":"Larry"}');
    expect(jsonEncode({ b: [1, true, null], a: 'x<y>&z\u2028' })).toBe(
      '{"a":"x\\u003cy\\u003e\\u0026z\\u2028","b":[1,true,null]}',
    );
    expect(jsonEncode('line\n"quoted"\ttab')).toBe('"line\\n\\"quoted\\"\\ttab"');
  });

  it('writes numbers in plain decimal', () => {
    expect(jsonEncode([1e21, 0.5, -2, 1e-7])).toBe('[1000000000000000000000,0.5,-2,0.0000001]');
  });

  it('shows unknown values as text', () => {
    expect(jsonEncode({ ip: UNKNOWN })).toBe('{"ip":"(known after apply)"}');
  });
});

describe('yamlencode', () => {
  it('matches the documented OpenTofu examples', () => {
    expect(yamlEncode({ a: 'b', c: 'd' })).toBe('"a": "b"\n"c": "d"\n');
    expect(yamlEncode({ foo: [1, 2, 3], bar: 'baz' })).toBe(
      '"bar": "baz"\n"foo":\n- 1\n- 2\n- 3\n',
    );
    expect(yamlEncode({ foo: [1, { a: 'b', c: 'd' }, 3], bar: 'baz' })).toBe(
      '"bar": "baz"\n"foo":\n- 1\n- "a": "b"\n  "c": "d"\n- 3\n',
    );
  });

  it('matches go-cty-yaml for scalars and empty collections at the root', () => {
    expect(yamlEncode(true)).toBe('true\n...\n');
    expect(yamlEncode(0)).toBe('0\n...\n');
    expect(yamlEncode('')).toBe('""\n');
    expect(yamlEncode('hello')).toBe('"hello"\n');
    expect(yamlEncode({})).toBe('{}\n');
    expect(yamlEncode([])).toBe('[]\n');
    expect(yamlEncode(['b'])).toBe('- "b"\n');
    expect(yamlEncode(null)).toBe('null\n...\n');
  });

  it('nests mappings and sequences as libyaml does', () => {
    const value = {
      scrape_configs: [
        { job_name: 'p', static_configs: [{ targets: ['localhost:9090'], labels: {} }] },
      ],
      nested: { deeper: { list: [[1, 2], []] } },
    };
    expect(yamlEncode(value)).toBe(
      [
        '"nested":',
        '  "deeper":',
        '    "list":',
        '    - - 1',
        '      - 2',
        '    - []',
        '"scrape_configs":',
        '- "job_name": "p"',
        '  "static_configs":',
        '  - "labels": {}',
        '    "targets":',
        '    - "localhost:9090"',
        '',
      ].join('\n'),
    );
  });

  it('writes strings with line breaks as literal blocks with the right chomping', () => {
    expect(yamlEncode({ a: 'x\ny\n' })).toBe('"a": |\n  x\n  y\n');
    expect(yamlEncode({ a: 'x\ny' })).toBe('"a": |-\n  x\n  y\n');
    expect(yamlEncode({ a: 'x\n\n' })).toBe('"a": |+\n  x\n\n');
    expect(yamlEncode({ a: ' indented\nx\n' })).toBe('"a": |2\n   indented\n  x\n');
    expect(yamlEncode(['a\n\nb\n'])).toBe('- |\n  a\n\n  b\n');
  });

  it('falls back to double quotes where a literal block cannot hold the string', () => {
    // trailing space, a space before a line break, a tab
    expect(yamlEncode({ a: 'x\ny ' })).toBe('"a": "x\\ny "\n');
    expect(yamlEncode({ a: 'x \ny' })).toBe('"a": "x \\ny"\n');
    expect(yamlEncode({ a: 'x\n\ty' })).toBe('"a": "x\\n\\ty"\n');
  });

  it('escapes what libyaml escapes in double-quoted strings', () => {
    // U+00A0 is printable to libyaml, so it stays as it is; astral characters are not.
    expect(yamlEncode('a"b\\c\u0007\u00a0é😀\ufeff')).toBe(
      '"a\\"b\\\\c\\a\u00a0é\\U0001F600\\uFEFF"\n',
    );
  });

  it('folds long double-quoted strings at the first space past column 80', () => {
    const text =
      '{{ $labels.instance }} has not answered scrapes for more than 2 minutes and then some more words';
    expect(yamlEncode({ annotations: { description: text } })).toBe(
      '"annotations":\n' +
        '  "description": "{{ $labels.instance }} has not answered scrapes for more than 2\n' +
        '    minutes and then some more words"\n',
    );
    // A fold before a second space keeps it with a backslash.
    const spaced = `${'x'.repeat(80)}  y`;
    expect(yamlEncode(spaced)).toBe(`"${'x'.repeat(80)}\n  \\ y"\n`);
    expect(parse(yamlEncode(spaced))).toBe(spaced);
  });

  it('writes keys longer than 128 bytes as complex keys', () => {
    const key = 'k'.repeat(129);
    expect(yamlEncode({ [key]: 1 })).toBe(`? "${key}"\n: 1\n`);
  });

  it('round-trips through a YAML parser', () => {
    const values: Value[] = [
      { a: 'x\ny\n', b: ['  lead', 'trail ', 'tab\tx', 'é😀', ''], c: { d: [{}, []] } },
      { long: 'word '.repeat(40), 'odd key: #': 'value: with # hash', n: [1.5, -3, 0] },
      ['a\n\nb\n\n', '\nstarts with a break', 'ends with spaces  \n'],
    ];
    for (const value of values) expect(parse(yamlEncode(value))).toEqual(value);
  });

  it('shows unknown values as text', () => {
    expect(yamlEncode({ ip: UNKNOWN })).toBe('"ip": "(known after apply)"\n');
  });
});
