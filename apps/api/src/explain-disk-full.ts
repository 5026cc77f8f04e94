// Turns an error caused by a full disk into a DiskFullError that says what was being written, where, which setting
// chooses that place and how much space is left there: for start-up failures of the API, workers and `npm start`,
// and for the runs that fail writing checkpoints.
import path from 'node:path';
import { DiskFullError, freeSpace, isDiskFull } from '@resnet-lab/trainer';
import type { ApiConfig } from './config.js';

/** A place this process writes, and the setting that chooses it. */
export interface WriteLocation {
  readonly setting: string;
  readonly directory: string;
}

export interface DiskFullContext {
  /** Where the process writes; an error that names no path is put at the first. */
  readonly locations: readonly WriteLocation[];
  /** The embedded PostgreSQL cluster, where PostgreSQL's disk_full arises; null for a server elsewhere. */
  readonly databaseDirectory: string | null;
}

/** Where the API, a worker or `npm start` write with this configuration. */
export function diskFullContext(config: Pick<ApiConfig, 'dataDir' | 'artifactDir' | 'databaseUrl'>): DiskFullContext {
  return {
    locations: [
      { setting: 'DATA_DIR', directory: config.dataDir },
      { setting: 'ARTIFACT_DIR', directory: config.artifactDir },
    ],
    databaseDirectory: config.databaseUrl === null ? path.join(config.dataDir, 'postgres') : null,
  };
}

/**
 * For an error caused by a full disk, a DiskFullError (with the error as its cause) that names the place and the
 * setting behind it; null for any other error, and for a full disk on a PostgreSQL server elsewhere (its own message
 * says so, and no setting here moves it).
 */
export async function explainDiskFull(
  error: unknown,
  context: DiskFullContext,
  readFreeSpace: (target: string) => Promise<number | null> = freeSpace,
): Promise<DiskFullError | null> {
  if (!isDiskFull(error)) return null;
  const written = writtenPlace(error, context);
  if (written === null) return null;
  const setting = settingOf(written.path, context.locations);
  const freeBytes = await readFreeSpace(written.path);
  return new DiskFullError({ ...written, setting, freeBytes }, { cause: error });
}

/** What was being written where: as a DiskFullError said, as a file error names it, or else the database. */
function writtenPlace(
  error: unknown,
  context: DiskFullContext,
): { what?: string; path: string; bytes?: number } | null {
  for (let link = error; link instanceof Error; link = link.cause) {
    if (link instanceof DiskFullError) {
      const { what, path: written, bytes } = link.details;
      return { what, path: written, bytes };
    }
    const { code, path: filePath, dest } = link as NodeJS.ErrnoException & { dest?: unknown };
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      // Node names the path of open and mkdir errors, and a copy's destination, but not the file of a write error.
      const named = typeof dest === 'string' ? dest : typeof filePath === 'string' ? filePath : undefined;
      const target = named ?? context.locations[0]?.directory;
      return target === undefined ? null : { path: path.resolve(target) };
    }
  }
  // No file error: PostgreSQL's disk_full, or initdb's message.
  return context.databaseDirectory === null ? null : { what: 'the database', path: context.databaseDirectory };
}

/** The setting of the innermost location holding `target` (ARTIFACT_DIR may lie inside DATA_DIR). */
function settingOf(target: string, locations: readonly WriteLocation[]): string | undefined {
  let best: WriteLocation | undefined;
  for (const location of locations) {
    const relative = path.relative(path.resolve(location.directory), target);
    const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    if (!outside && (best === undefined || location.directory.length > best.directory.length)) best = location;
  }
  return best?.setting;
}
