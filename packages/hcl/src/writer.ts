import { columns } from './text.js';

/**
 * Where the printer puts its tokens. Brackets go through `open`/`close` and
 * assignment signs through `assign` because hclwrite lays lines out by
 * counting exactly those.
 */
export interface Sink {
  write(text: string): void;
  open(bracket: string): void;
  close(bracket: string): void;
  /** Writes ` =`. */
  assign(): void;
}

/** Thrown by a {@link FlatSink} whose text outgrew its width limit. */
export const TOO_WIDE: unique symbol = Symbol('too wide');

/** Collects single-line text, optionally giving up past a width. */
export class FlatSink implements Sink {
  text = '';
  constructor(private readonly limit = Infinity) {}
  write(text: string): void {
    this.text += text;
    if (this.text.length > this.limit) throw TOO_WIDE;
  }
  open(bracket: string): void {
    this.write(bracket);
  }
  close(bracket: string): void {
    this.write(bracket);
  }
  assign(): void {
    this.write(' =');
  }
}

interface Line {
  readonly indent: number;
  /** The line without its indentation; a heredoc line holds the whole heredoc. */
  readonly text: string;
  /** Offset of the space before the `=` when this line takes part in `=` alignment, else -1. */
  readonly assignAt: number;
}

/**
 * Collects lines and gives them the indentation and `=` alignment that
 * hclwrite's formatter would: a line's indent is the depth of an indent stack
 * that grows by one level for each line with more openers than closers and
 * shrinks for each line with more closers; a line whose first `=` is followed
 * by balanced brackets is an assignment, and runs of consecutive assignments
 * pad their `=` to one column.
 */
export class Writer implements Sink {
  private readonly lines: Line[] = [];
  /** hclwrite's indent stack: the net number of openers of each line that opened a level. */
  private readonly levels: number[] = [];
  private text = '';
  private net = 0;
  private assignAt = -1;
  private netAtAssign = 0;
  /** A heredoc's closing marker ended the line: whatever comes next starts a new one. */
  private ended = false;

  write(text: string): void {
    if (this.ended) this.newline();
    this.text += text;
  }
  open(bracket: string): void {
    this.write(bracket);
    this.net++;
  }
  close(bracket: string): void {
    this.write(bracket);
    this.net--;
  }
  assign(): void {
    this.write(' =');
    if (this.assignAt < 0) {
      this.assignAt = this.text.length - 2;
      this.netAtAssign = this.net;
    }
  }

  /** Column of the next character, for deciding whether something fits on the line. */
  get column(): number {
    return this.ended ? Infinity : this.peekIndent() + this.text.length;
  }

  /** The indentation the current line will get. */
  peekIndent(): number {
    return 2 * this.depthAfter(this.net, false);
  }

  /** Appends a heredoc (opener, content and closing marker); the line ends with it. */
  heredoc(text: string): void {
    this.write(text);
    this.ended = true;
  }

  newline(): void {
    if (!this.text) return;
    const indent = 2 * this.depthAfter(this.net, true);
    const assignAt = this.assignAt >= 0 && this.net === this.netAtAssign ? this.assignAt : -1;
    this.lines.push({ indent, text: this.text, assignAt });
    this.text = '';
    this.net = 0;
    this.assignAt = -1;
    this.ended = false;
  }

  blank(): void {
    this.lines.push({ indent: 0, text: '', assignAt: -1 });
  }

  /** Applies a line's bracket balance to the indent stack (when `commit`) and returns the line's depth. */
  private depthAfter(net: number, commit: boolean): number {
    const depth = this.levels.length;
    if (net > 0) {
      if (commit) this.levels.push(net);
      return depth;
    }
    let closed = -net;
    let level = depth;
    let top = this.levels[level - 1] ?? 0;
    while (closed > 0 && level > 0) {
      if (closed >= top) {
        closed -= top;
        level--;
        top = this.levels[level - 1] ?? 0;
      } else {
        top -= closed;
        closed = 0;
      }
    }
    if (commit) {
      this.levels.length = level;
      if (level > 0) this.levels[level - 1] = top;
    }
    return level;
  }

  /** The finished text, lines joined by "\n" (no trailing newline). */
  finish(): string {
    this.newline();
    const out: string[] = [];
    const lines = this.lines;
    for (let i = 0; i < lines.length;) {
      const line = lines[i]!;
      if (line.assignAt < 0) {
        out.push(line.text ? ' '.repeat(line.indent) + line.text : '');
        i++;
        continue;
      }
      let end = i;
      let widest = 0;
      const widths: number[] = [];
      for (; end < lines.length && lines[end]!.assignAt >= 0; end++) {
        const l = lines[end]!;
        const width = l.indent + columns(l.text.slice(0, l.assignAt));
        widths.push(width);
        if (width > widest) widest = width;
      }
      for (let j = i; j < end; j++) {
        const l = lines[j]!;
        out.push(
          ' '.repeat(l.indent) +
            l.text.slice(0, l.assignAt) +
            ' '.repeat(widest - widths[j - i]! + 1) +
            l.text.slice(l.assignAt + 1),
        );
      }
      i = end;
    }
    return out.join('\n');
  }
}
