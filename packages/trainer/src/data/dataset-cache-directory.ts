// Where decoded image folders are cached: one subfolder per dataset under a cache root that the caller owns (the
// user's cache for the CLI, DATA_DIR/cache for the API), never inside the dataset, which may be read-only or the
// user's own folder.
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * `<cacheRoot>/<folder name>-<16 hex digits of the SHA-256 of the absolute location>`: stable per dataset, readable
 * at a glance, and distinct for two folders of the same name. The files inside are keyed by the images' names,
 * sizes and modification times (see image-folder-cache.ts), so a changed folder misses rather than reads stale data.
 */
export function datasetCacheDirectory(cacheRoot: string, location: string): string {
  const absolute = path.resolve(location);
  const digest = createHash('sha256').update(absolute).digest('hex').slice(0, 16);
  const name = path.basename(absolute).replace(/[^\w.-]+/g, '_') || 'root';
  return path.join(cacheRoot, `${name}-${digest}`);
}

/** The user's cache for resnet-lab: `$XDG_CACHE_HOME/resnet-lab`, else `~/.cache/resnet-lab`. */
export function userCacheDirectory(
  env: Readonly<Record<string, string | undefined>> = process.env,
  home: string = os.homedir(),
): string {
  const xdg = env['XDG_CACHE_HOME']?.trim();
  // The XDG spec ignores a relative value.
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'resnet-lab');
}
