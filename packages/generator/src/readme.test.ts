import { describe, expect, it } from 'vitest';
import { markdownCell, markdownCode } from './readme.js';

describe('README table escaping', () => {
  it('escapes pipes everywhere, underscores and angle brackets in prose, and leaves code spans literal', () => {
    expect(markdownCell('Name; null means "<instance_name>-data".')).toBe(
      'Name; null means "&lt;instance\\_name&gt;-data".',
    );
    expect(markdownCell('Trust it (`incus config trust add-certificate | x`), a|b')).toBe(
      'Trust it (`incus config trust add-certificate \\| x`), a\\|b',
    );
    expect(markdownCell('a `C:\\dir_x` b\\c')).toBe('a `C:\\dir_x` b\\\\c');
    expect(markdownCell('one\ntwo')).toBe('one<br>two');
  });

  it('puts one-line values in a code span without doubling backslashes', () => {
    expect(markdownCode('"#cloud-config\\n"')).toBe('`"#cloud-config\\n"`');
    expect(markdownCode('"a|b"')).toBe('`"a\\|b"`');
    expect(markdownCode('"`x`"')).toBe('``"`x`"``');
    expect(markdownCode('`x')).toBe('`` `x ``');
  });

  it('puts values that span lines in <pre>, with HTML entities for what HTML or Markdown would eat', () => {
    expect(markdownCode('[\n  "severity=\\"critical\\"",\n  "a < b | c & d",\n]')).toBe(
      '<pre>[<br>  "severity=&#92;"critical&#92;"",<br>  "a &lt; b \\| c &amp; d",<br>]</pre>',
    );
  });
});
