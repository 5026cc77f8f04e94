// A small tmpfs mounted for a test that needs a disk that really fills up. Mounting needs root (CAP_SYS_ADMIN): where
// it is refused, mountTmpfs returns the reason, for the test to skip with.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeSpace } from '@resnet-lab/trainer';

const run = promisify(execFile);

export interface Tmpfs {
  /** The mount point, readable by every user (the embedded PostgreSQL server runs as `postgres`). */
  readonly directory: string;
  /** Takes all the space that is left, so that the next write fails with ENOSPC. */
  fill(): Promise<void>;
  unmount(): Promise<void>;
}

/** A tmpfs of `mebibytes` MiB on a new temporary folder, or why none can be mounted here. */
export async function mountTmpfs(mebibytes: number): Promise<Tmpfs | string> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-tmpfs-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${mebibytes}m,mode=755`, 'tmpfs', directory]);
  } catch (error) {
    await fs.rmdir(directory);
    const { stderr } = error as { stderr?: string };
    return `a tmpfs cannot be mounted here (that needs root): ${(stderr || (error as Error).message).trim()}`;
  }
  return {
    directory,
    async fill() {
      const free = (await freeSpace(directory)) ?? 0;
      await fs.writeFile(path.join(directory, 'filler'), Buffer.alloc(free));
    },
    async unmount() {
      await run('umount', [directory]);
      await fs.rmdir(directory);
    },
  };
}
