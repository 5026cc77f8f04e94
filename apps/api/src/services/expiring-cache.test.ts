// ExpiringCache on a clock the test moves: values reused while young, loaded again once old, one load shared by
// concurrent readers, failures not kept, expired keys not kept.
import { describe, expect, it } from 'vitest';
import { ExpiringCache } from './expiring-cache.js';

/** A cache of 1,000 ms on a clock at `time.now`, and a loader that counts its calls and returns that count. */
function setUp() {
  const time = { now: 0 };
  const cache = new ExpiringCache<string, number>(1_000, () => time.now);
  let loads = 0;
  const load = () => Promise.resolve(++loads);
  return { time, cache, load, loads: () => loads };
}

describe('ExpiringCache', () => {
  it('reuses a value until maxAgeMs after its load, then loads it again', async () => {
    const { time, cache, load } = setUp();
    expect(await cache.get('a', load)).toBe(1);
    time.now = 999;
    expect(await cache.get('a', load)).toBe(1);
    time.now = 1_000;
    expect(await cache.get('a', load)).toBe(2);
    time.now = 1_999;
    expect(await cache.get('a', load)).toBe(2);
  });

  it('keeps each key apart', async () => {
    const { cache, load } = setUp();
    expect([await cache.get('a', load), await cache.get('b', load), await cache.get('a', load)]).toEqual([1, 2, 1]);
  });

  it('gives readers that come while a load is under way the same load', async () => {
    const { cache, loads } = setUp();
    let finish: (value: number) => void = () => undefined;
    const slow = () => new Promise<number>((resolve) => (finish = resolve));
    const first = cache.get('a', slow);
    const second = cache.get('a', () => Promise.resolve(-1));
    finish(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    expect(loads()).toBe(0);
  });

  it('forgets a load that failed, so that the next reader loads again', async () => {
    const { cache, load } = setUp();
    const failure = new Error('connection lost');
    await expect(cache.get('a', () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await cache.get('a', load)).toBe(1);
  });

  it('drops the keys that expired when it loads another, so it holds only the recent ones', async () => {
    const { time, cache, load } = setUp();
    for (const key of ['a', 'b', 'c']) await cache.get(key, load);
    time.now = 1_500;
    await cache.get('d', load);
    expect(cache.size).toBe(1);
  });

  it('reuses nothing with a maxAgeMs of 0', async () => {
    const cache = new ExpiringCache<string, number>(0, () => 0);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect([await cache.get('a', load), await cache.get('a', load)]).toEqual([1, 2]);
    expect(cache.size).toBe(0);
  });
});
