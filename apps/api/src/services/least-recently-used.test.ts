// LeastRecentlyUsed: which entry goes when it is full, and what it hands back to be freed.
import { describe, expect, it } from 'vitest';
import { LeastRecentlyUsed } from './least-recently-used.js';

describe('LeastRecentlyUsed', () => {
  it('drops the least recently read or written entry beyond its capacity, through onDrop', () => {
    const dropped: string[] = [];
    const entries = new LeastRecentlyUsed<string, string>(2, (value) => dropped.push(value));
    entries.set('a', 'A');
    entries.set('b', 'B');
    expect(entries.get('a')).toBe('A');
    entries.set('c', 'C');
    expect(dropped).toEqual(['B']);
    expect([entries.get('a'), entries.get('b'), entries.get('c')]).toEqual(['A', undefined, 'C']);

    // Writing a key again makes it the most recent without dropping anything.
    entries.set('a', 'A2');
    expect(dropped).toEqual(['B']);
    entries.set('d', 'D');
    expect(dropped).toEqual(['B', 'C']);
    expect([entries.get('a'), entries.get('d')]).toEqual(['A2', 'D']);
  });

  it('hands back what it held on clear, and drops nothing through onDrop for delete or clear', () => {
    const dropped: number[] = [];
    const entries = new LeastRecentlyUsed<string, number>(3, (value) => dropped.push(value));
    entries.set('one', 1);
    entries.set('two', 2);
    entries.set('three', 3);
    entries.delete('two');
    expect(entries.get('two')).toBeUndefined();
    expect(entries.clear()).toEqual([1, 3]);
    expect(entries.get('one')).toBeUndefined();
    expect(dropped).toEqual([]);
  });
});
