import { describe, expect, it } from 'vitest';
import { OutputLines, terminalLine } from './output-lines.js';

function collect(maxChars = 100) {
  const lines: string[] = [];
  return { lines, output: new OutputLines((line) => lines.push(line), maxChars) };
}

describe('OutputLines', () => {
  it('joins chunks into lines and passes on a last line without a newline at the end', () => {
    const { lines, output } = collect();
    output.push('Backend: wa');
    output.push('sm (CPU)\nData: 128 training');
    expect(lines).toEqual(['Backend: wasm (CPU)']);
    output.push(', 64 test images\n\nlast');
    expect(lines).toEqual(['Backend: wasm (CPU)', 'Data: 128 training, 64 test images', '']);
    output.end();
    expect(lines).toEqual(['Backend: wasm (CPU)', 'Data: 128 training, 64 test images', '', 'last']);
  });

  it('cuts a line that grows past maxChars and drops the rest of it up to its newline', () => {
    const { lines, output } = collect(10);
    output.push('0123456789abc');
    output.push('def');
    output.push('ghi\nnext\n');
    output.end();
    expect(lines).toEqual(['0123456789', 'next']);
  });
});

describe('terminalLine', () => {
  it('keeps what a terminal shows: the text after the last carriage return, without escape codes', () => {
    expect(terminalLine('[#...] 1/4\r[##..] 2/4\r\x1b[2K')).toBe('[##..] 2/4');
    expect(terminalLine('\x1b[31mError:\x1b[0m out of memory')).toBe('Error: out of memory');
    expect(terminalLine('Windows line\r')).toBe('Windows line');
    expect(terminalLine('')).toBe('');
  });
});
