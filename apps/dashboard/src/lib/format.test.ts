import { describe, expect, it } from 'vitest';
import { ago } from './format';

const NOW = Date.parse('2026-11-27T23:05:16.000Z');

describe('ago', () => {
  it('counts seconds for the first two minutes, then minutes, then hours', () => {
    expect(ago('2026-11-27T23:05:12.600Z', NOW)).toBe('3 s ago');
    expect(ago('2026-11-27T23:03:17.000Z', NOW)).toBe('119 s ago');
    expect(ago('2026-11-27T23:03:16.000Z', NOW)).toBe('2 min ago');
    expect(ago('2026-11-27T21:05:17.000Z', NOW)).toBe('119 min ago');
    expect(ago('2026-11-27T18:05:16.000Z', NOW)).toBe('5 h ago');
  });

  it('reads a time slightly ahead of the browser clock as 0 s ago', () => {
    expect(ago('2026-11-27T23:05:17.500Z', NOW)).toBe('0 s ago');
  });
});
