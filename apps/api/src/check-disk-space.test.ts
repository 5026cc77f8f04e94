import { describe, expect, it } from 'vitest';
import { MINIMUM_FREE_BYTES, checkDiskSpace } from './check-disk-space.js';

const MiB = 1024 * 1024;
/** A free-space reader that answers from a table, as statfs would for each directory. */
const freeBytes = (table: Record<string, number | null>) => (target: string) => Promise.resolve(table[target] ?? null);

describe('checkDiskSpace', () => {
  it('refuses a DATA_DIR with less than 64 MiB free, saying where, how much is free and what to do', async () => {
    expect(MINIMUM_FREE_BYTES).toBe(64 * MiB);
    const error = await checkDiskSpace(
      { dataDir: '/srv/data', artifactDir: '/srv/data/artifacts' },
      freeBytes({ '/srv/data': 3 * MiB, '/srv/data/artifacts': 3 * MiB }),
    );
    expect(error?.message).toBe(
      'Not enough free space for /srv/data (DATA_DIR): 3.0 MiB free, at least 64 MiB needed; free some space or ' +
        'set DATA_DIR to another disk.',
    );
  });

  it('checks an ARTIFACT_DIR on a disk of its own', async () => {
    const error = await checkDiskSpace(
      { dataDir: '/srv/data', artifactDir: '/mnt/shared' },
      freeBytes({ '/srv/data': 500 * MiB, '/mnt/shared': 64 * MiB - 1 }),
    );
    expect(error?.message).toBe(
      'Not enough free space for /mnt/shared (ARTIFACT_DIR): 63 MiB free, at least 64 MiB needed; free some space ' +
        'or set ARTIFACT_DIR to another disk.',
    );
  });

  it('lets a start go ahead with 64 MiB free, or when free space cannot be read', async () => {
    const config = { dataDir: '/srv/data', artifactDir: '/mnt/shared' };
    expect(await checkDiskSpace(config, freeBytes({ '/srv/data': 64 * MiB, '/mnt/shared': 64 * MiB }))).toBeNull();
    expect(await checkDiskSpace(config, freeBytes({}))).toBeNull();
  });

  // procfs has no free blocks: a real measurement with an exact result.
  it('measures with statfs at the nearest existing folder by default', async () => {
    const error = await checkDiskSpace({ dataDir: '/proc/resnet-lab-data', artifactDir: '/proc/resnet-lab-data/a' });
    expect(error?.message).toBe(
      'Not enough free space for /proc/resnet-lab-data (DATA_DIR): 0.0 MiB free, at least 64 MiB needed; free some ' +
        'space or set DATA_DIR to another disk.',
    );
  });
});
