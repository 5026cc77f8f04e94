// Crash-safe file replacement: write a temporary file, flush it to disk, then rename it over the target.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { freeSpace } from './free-space.js';

/** The file operations a save needs; tests substitute one that fails at a chosen step to simulate a crash. */
export interface DurableFileSystem {
  /** Writes `data` to `filePath` and flushes it to disk before resolving. */
  writeFileDurably(filePath: string, data: Uint8Array): Promise<void>;
  /** Atomically replaces `to` with `from` (POSIX rename). */
  rename(from: string, to: string): Promise<void>;
  /** Bytes free on the file system holding `target`, for disk-full messages (default: `freeSpace`). */
  freeSpace?(target: string): Promise<number | null>;
}

export const nodeFileSystem: DurableFileSystem = {
  async writeFileDurably(filePath, data) {
    const handle = await fs.open(filePath, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
  freeSpace,
};

/** Marks temporary files so that readers skip them and later writers clean up after a crash. */
export const TEMPORARY_FILE_MARKER = '.tmp-';

/**
 * Replaces `filePath` with `data` so that a reader sees either the old or the new content, never a mix, even if
 * the process dies half way: the rename is the single commit point.
 */
export async function writeFileAtomic(
  filePath: string,
  data: Uint8Array,
  fileSystem: DurableFileSystem = nodeFileSystem,
): Promise<void> {
  const temporaryPath = `${filePath}${TEMPORARY_FILE_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fileSystem.writeFileDurably(temporaryPath, data);
    await fileSystem.rename(temporaryPath, filePath);
  } catch (error) {
    await fs.rm(temporaryPath, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(filePath));
}

/** Flushes a directory's entries, so that a completed rename survives a power loss. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
