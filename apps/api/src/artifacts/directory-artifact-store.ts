// The artifact store over one directory: ARTIFACT_DIR, a mount that the API and every worker share (by default
// DATA_DIR/artifacts).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DiskFullError, freeSpace, isDiskFull } from '@resnet-lab/trainer';
import { checkArtifactKey, type ArtifactStore } from './artifact-store.js';
import { tarDirectory } from './tar-directory.js';

/**
 * A copy in progress: `.<destination name>.partial-<uuid>`, beside its destination. `list` leaves these out, and
 * the next successful copy to the same destination deletes the ones that crashed copies left behind.
 */
const PARTIAL_COPY = /^\..+\.partial-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class DirectoryArtifactStore implements ArtifactStore {
  /** The root directory, absolute; created by the first write. */
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `directory ${this.root}`;
  }

  resolve(key: string): string {
    return path.isAbsolute(key) ? key : this.pathOf(key);
  }

  keyOf(localPath: string): string {
    const absolute = path.resolve(localPath);
    const relative = path.relative(this.root, absolute);
    const outside = relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`);
    if (outside || path.isAbsolute(relative)) return absolute;
    return checkArtifactKey(relative.split(path.sep).join('/'));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.stat(this.resolve(key));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.resolve(key), { recursive: true, force: true });
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    const failure = `Cannot copy artifact ${JSON.stringify(fromKey)} to ${JSON.stringify(toKey)} in ${this.description}`;
    const source = await fs.stat(from).catch((error: unknown) => {
      if (isMissing(error)) throw new Error(`${failure}: ${JSON.stringify(fromKey)} does not exist.`, { cause: error });
      throw error;
    });
    if (!source.isDirectory()) throw new Error(`${failure}: ${JSON.stringify(fromKey)} is not a directory.`);
    if (await this.exists(toKey)) {
      throw new Error(`${failure}: ${JSON.stringify(toKey)} already exists; remove it first.`);
    }
    const parent = path.dirname(to);
    const partialPrefix = `.${path.basename(to)}.partial-`;
    const partial = path.join(parent, `${partialPrefix}${randomUUID()}`);
    await fs.mkdir(parent, { recursive: true });
    try {
      await fs.cp(from, partial, { recursive: true, errorOnExist: true, force: false });
      // rename() is atomic, and fails rather than replace a directory that is not empty.
      await fs.rename(partial, to);
    } catch (error) {
      // The copy's own failure is the one to report; a partial copy left behind is swept by the next copy.
      await fs.rm(partial, { recursive: true, force: true }).catch(() => undefined);
      // Another copy to `toKey` finished first: this one's rename fails, or its partial copy was swept away.
      if (await this.exists(toKey)) {
        throw new Error(`${failure}: ${JSON.stringify(toKey)} was created by another copy meanwhile.`, {
          cause: error,
        });
      }
      if (isDiskFull(error)) {
        const freeBytes = await freeSpace(parent);
        throw new DiskFullError(
          { what: `artifact ${JSON.stringify(toKey)}`, path: to, setting: 'ARTIFACT_DIR', freeBytes },
          { cause: error },
        );
      }
      throw new Error(`${failure}.`, { cause: error });
    }
    await removePartialCopies(parent, partialPrefix);
  }

  async list(prefixKey: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.pathOf(prefixKey));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => !PARTIAL_COPY.test(name))
      .sort()
      .map((name) => `${prefixKey}/${name}`);
  }

  async sizeOf(key: string): Promise<number> {
    return regularFileBytes(this.pathOf(key));
  }

  tar(key: string): Readable {
    const directory = this.resolve(key);
    return tarDirectory(directory, path.basename(directory));
  }

  /** The local path of a key, for the methods that take keys only. */
  private pathOf(key: string): string {
    return path.join(this.root, ...checkArtifactKey(key).split('/'));
  }
}

/**
 * Deletes the partial copies left beside a destination that is now in place: their renames could only fail, so
 * deleting one still being written merely makes its copy fail sooner. Failures are ignored: this copy has succeeded,
 * and one still writing (the likely cause, with ENOTEMPTY) removes its own partial copy when it fails.
 */
async function removePartialCopies(parent: string, partialPrefix: string): Promise<void> {
  for (const name of await fs.readdir(parent)) {
    if (name.startsWith(partialPrefix) && PARTIAL_COPY.test(name)) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

async function regularFileBytes(localPath: string): Promise<number> {
  const stats = await fs.lstat(localPath);
  if (stats.isFile()) return stats.size;
  if (!stats.isDirectory()) return 0;
  let total = 0;
  for (const name of await fs.readdir(localPath)) total += await regularFileBytes(path.join(localPath, name));
  return total;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}
