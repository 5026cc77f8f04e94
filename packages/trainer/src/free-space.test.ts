import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freeSpace } from './free-space.js';

// procfs reports no free blocks at all, which makes the expected value exact.
describe.skipIf(!existsSync('/proc/version'))('freeSpace', () => {
  it('measures a path that does not exist yet at its nearest existing ancestor', async () => {
    expect(await freeSpace('/proc')).toBe(0);
    expect(await freeSpace('/proc/no-such-directory/data')).toBe(0);
    // Below a file: ENOTDIR, and the file's file system answers.
    expect(await freeSpace('/proc/version/data')).toBe(0);
  });
});
