import { describe, expect, it } from 'vitest';
import { OneAtATime } from './one-at-a-time.js';

describe('OneAtATime', () => {
  it('runs tasks one after another in order, a failure not stopping those after it', async () => {
    const queue = new OneAtATime();
    const log: string[] = [];
    let running = 0;
    const task =
      (name: string, milliseconds: number, fail = false) =>
      async () => {
        running += 1;
        log.push(`start ${name} (${running} running)`);
        await new Promise((resolve) => setTimeout(resolve, milliseconds));
        running -= 1;
        log.push(`end ${name}`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      };
    const results = await Promise.allSettled([
      queue.run(task('a', 30)),
      queue.run(task('b', 1, true)),
      queue.run(task('c', 10)),
    ]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason)))).toEqual([
      'a',
      'Error: b failed',
      'c',
    ]);
    expect(log).toEqual([
      'start a (1 running)',
      'end a',
      'start b (1 running)',
      'end b',
      'start c (1 running)',
      'end c',
    ]);
  });
});
