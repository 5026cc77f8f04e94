// The start-up check of free space where ResNet Lab writes: DATA_DIR (the embedded PostgreSQL server, caches) and
// ARTIFACT_DIR (checkpoints, the model registry). Started on a nearly full disk it would fail at its first writes, and
// an embedded PostgreSQL server that runs out of space stops with a PANIC; so the API, workers and `npm start` refuse
// at once, saying where and what to do.
import { DiskFullError, freeSpace } from '@resnet-lab/trainer';
import type { ApiConfig } from './config.js';

/** 64 MiB: a new embedded PostgreSQL cluster takes about 42 MiB (16 MiB of it the first WAL segment). */
export const MINIMUM_FREE_BYTES = 64 * 1024 * 1024;

/**
 * A DiskFullError for the first of DATA_DIR and ARTIFACT_DIR with less than MINIMUM_FREE_BYTES free (measured at the
 * nearest existing folder); null when both have enough, or when free space cannot be read.
 */
export async function checkDiskSpace(
  config: Pick<ApiConfig, 'dataDir' | 'artifactDir'>,
  readFreeSpace: (target: string) => Promise<number | null> = freeSpace,
): Promise<DiskFullError | null> {
  const locations = [
    { setting: 'DATA_DIR', directory: config.dataDir },
    { setting: 'ARTIFACT_DIR', directory: config.artifactDir },
  ];
  for (const { setting, directory } of locations) {
    const freeBytes = await readFreeSpace(directory);
    if (freeBytes !== null && freeBytes < MINIMUM_FREE_BYTES) {
      return new DiskFullError({ path: directory, setting, freeBytes, neededBytes: MINIMUM_FREE_BYTES });
    }
  }
  return null;
}
