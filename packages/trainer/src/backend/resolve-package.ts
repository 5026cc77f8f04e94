// Finds where an npm package is installed without loading it: the seam through which tests lay out a fake
// node_modules for the native backends.
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The directory of the installed package `packageName`, or null where it is not installed. */
export type ResolvePackage = (packageName: string) => string | null;

/**
 * Node's resolution of CommonJS packages from `from` (a file path or URL): node_modules directories up the tree,
 * then NODE_PATH. The native backends are CommonJS packages without `exports`, so their package.json resolves.
 */
export function packageResolver(from: string | URL = import.meta.url): ResolvePackage {
  const require = createRequire(from);
  return (packageName) => {
    try {
      return path.dirname(require.resolve(`${packageName}/package.json`));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') return null;
      throw error;
    }
  };
}
