// The directories the API reads datasets from (DATASET_ROOTS). A location counts as inside when its real path, links
// resolved, lies under a root's: a link inside a root that points outside is outside. A location outside every root
// as written is not looked at at all, so that what a client hears about it cannot depend on what is there.
import fs from 'node:fs/promises';
import path from 'node:path';

export class DatasetRoots {
  /** `roots`: absolute directories, as readConfig resolves them. */
  constructor(readonly roots: readonly string[]) {
    if (roots.length === 0 || !roots.every((root) => path.isAbsolute(root))) {
      throw new Error(`Expected absolute dataset roots, got [${roots.join(', ')}].`);
    }
  }

  /** `location` made absolute: a relative one is taken relative to the first root. */
  resolve(location: string): string {
    return path.resolve(this.roots[0]!, location);
  }

  /**
   * The real path of `location` (resolved as `resolve` does) when it lies under a root, links resolved; null when
   * it does not. Trailing components that do not exist (yet) are kept as written, after the real path of the
   * deepest one that does.
   */
  async locate(location: string): Promise<string | null> {
    // No file system has a NUL in a name; Node refuses such a path with a TypeError.
    if (location.includes('\0')) return null;
    const absolute = this.resolve(location);
    const roots = await this.realRoots();
    // Compared with both spellings of each root, so that a root that is itself a link accepts its target's paths.
    if (!roots.some((root) => isWithin(absolute, root.given) || isWithin(absolute, root.real))) return null;
    const real = await realPathOfExisting(absolute);
    return real !== null && roots.some((root) => isWithin(real, root.real)) ? real : null;
  }

  /** The roots that do not exist as directories, for a warning at start-up. */
  async missing(): Promise<string[]> {
    const missing: string[] = [];
    for (const root of this.roots) {
      const stats = await fs.stat(root).catch(() => null);
      if (!stats?.isDirectory()) missing.push(root);
    }
    return missing;
  }

  /** The roots for messages: `/srv/datasets, /mnt/shared/datasets`. */
  describe(): string {
    return this.roots.join(', ');
  }

  private async realRoots(): Promise<{ given: string; real: string }[]> {
    return Promise.all(this.roots.map(async (given) => ({ given, real: (await realPathOfExisting(given)) ?? given })));
  }
}

/** Whether `location` is `root` or below it; both absolute and normalized. */
function isWithin(location: string, root: string): boolean {
  const relative = path.relative(root, location);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/**
 * The real path of the deepest existing ancestor of `location` (itself included), joined with the components below
 * it; null when a component is a link that cannot be resolved (dangling, or a loop): where it would lead is not known.
 */
async function realPathOfExisting(location: string): Promise<string | null> {
  const below: string[] = [];
  let existing = location;
  for (;;) {
    try {
      return path.join(await fs.realpath(existing), ...below);
    } catch (error) {
      // ENOENT, ENOTDIR, EACCES, ELOOP...: the file system's answer, not a bug.
      if (!(error instanceof Error && 'code' in error)) throw error;
      const link = await fs.lstat(existing).then(
        (stats) => stats.isSymbolicLink(),
        () => false,
      );
      const parent = path.dirname(existing);
      if (link || parent === existing) return null;
      below.unshift(path.basename(existing));
      existing = parent;
    }
  }
}
