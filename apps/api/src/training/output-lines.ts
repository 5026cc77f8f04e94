// Cuts a process's output, as it arrives in chunks, into the lines a terminal would show: the text after a line's
// last carriage return (a progress bar's final state), without ANSI colour and cursor codes.

/** Control sequences of terminals: CSI (`ESC [ ... letter`), e.g. colours `\x1b[31m` and line erasing `\x1b[2K`. */
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]/g;

export class OutputLines {
  private partial = '';
  /** Set while the rest of a line too long to hold is being skipped, up to its newline. */
  private skipping = false;

  /**
   * @param onLine receives each complete line, in order.
   * @param maxChars a line that grows past this many characters without ending is passed on cut, and the rest of it
   *   is dropped, so that output without newlines cannot grow memory without bound.
   */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxChars: number,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    for (const part of parts) {
      if (this.skipping) this.skipping = false;
      else this.onLine(terminalLine(part));
    }
    if (!this.skipping && this.partial.length > this.maxChars) {
      this.onLine(terminalLine(this.partial).slice(0, this.maxChars));
      this.skipping = true;
    }
    if (this.skipping) this.partial = '';
  }

  /** Passes on the last line when the output ended without a newline. */
  end(): void {
    if (this.partial !== '' && !this.skipping) this.onLine(terminalLine(this.partial));
    this.partial = '';
    this.skipping = false;
  }
}

/** What a terminal shows of a line: the text after its last carriage return that has any, without escape codes. */
export function terminalLine(text: string): string {
  const segments = text.replace(ANSI_ESCAPE, '').split('\r');
  return segments.findLast((segment) => segment !== '') ?? '';
}
