// How much space is left on the file system that holds a path: for start-up checks and disk-full messages.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Bytes that this process may still write on the file system holding `target` (statfs `bavail`, which leaves out
 * the blocks reserved for root), measured at its nearest existing ancestor when it does not exist yet. Null when it
 * cannot be read: callers use it in messages and checks, which then say nothing about free space.
 */
export async function freeSpace(target: string): Promise<number | null> {
  for (let directory = path.resolve(target); ; directory = path.dirname(directory)) {
    try {
      const stats = await fs.statfs(directory);
      return stats.bavail * stats.bsize;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const missing = code === 'ENOENT' || code === 'ENOTDIR';
      if (!missing || directory === path.dirname(directory)) return null;
    }
  }
}
