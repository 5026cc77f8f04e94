// The artifact store: where checkpoint and registry directories live, addressed by keys relative to one shared
// location (ARTIFACT_DIR) so that the API and workers on any machine agree on what a database row points at.
import type { Readable } from 'node:stream';

/**
 * Everything that reads or writes artifacts goes through this interface.
 *
 * A key is a relative path with '/' separators, e.g. `runs/<run id>/checkpoints/epoch-0003` or
 * `registry/<model>/v2` (see `checkArtifactKey`). Rows written before keys (and runs tracked by the CLI) hold
 * absolute paths instead: `resolve`, `exists`, `remove` and `tar` accept those unchanged; the other methods take keys
 * only.
 */
export interface ArtifactStore {
  /** Where the artifacts are, for logs and error messages, e.g. 'directory /srv/artifacts'. */
  readonly description: string;
  /** The local path of a key; an absolute path is returned unchanged. */
  resolve(key: string): string;
  /** The key of a local path inside the store; a path outside it is returned absolute. */
  keyOf(localPath: string): string;
  exists(key: string): Promise<boolean>;
  /** Deletes a file or a whole directory; nothing happens when it is already gone. */
  remove(key: string): Promise<void>;
  /**
   * Copies a directory so that `toKey` appears whole or not at all: readers never see a half copy, and a copy
   * interrupted by a crash leaves nothing under `toKey`. Fails when `toKey` already exists.
   */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** The keys of a directory's direct children, sorted; [] when the directory does not exist. */
  list(prefixKey: string): Promise<string[]>;
  /** The total size in bytes of the regular files under a key. */
  sizeOf(key: string): Promise<number>;
  /** A ustar archive of a directory's regular files, under a top folder named after the key's last segment. */
  tar(key: string): Readable;
}

/** Returns the key when it is valid, and otherwise throws an error that names it and says what is allowed. */
export function checkArtifactKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== null) {
    throw new Error(
      `Invalid artifact key ${JSON.stringify(key)}: ${problem}. A key is a relative path with '/' separators, ` +
        "without empty, '.' or '..' segments, backslashes or NUL characters.",
    );
  }
  return key;
}

function keyProblem(key: string): string | null {
  if (key === '') return 'it is empty';
  if (key.includes('\0')) return 'it contains a NUL character';
  if (key.startsWith('/')) return 'it is absolute';
  // A backslash separates segments on Windows, so 'a\\..\\b' would escape the store there.
  if (key.includes('\\')) return 'it contains a backslash';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty segment';
    if (segment === '.' || segment === '..') return `it has a '${segment}' segment`;
  }
  return null;
}
