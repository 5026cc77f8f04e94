// How the commands (`resnet-lab-api`, `resnet-lab-worker`, `npm start`) stop when the disk fills while they start: one
// clear paragraph and exit code 1, instead of a stack trace.
import type { ApiConfig } from './config.js';
import { describeFatalError } from './describe-fatal-error.js';
import { diskFullContext, explainDiskFull } from './explain-disk-full.js';

/** Prints what filled up and what to do, and returns true, when a full disk caused `error`; false otherwise. */
export async function reportDiskFull(
  error: unknown,
  config: Pick<ApiConfig, 'dataDir' | 'artifactDir' | 'databaseUrl'>,
  report: (message: string) => void = console.error,
): Promise<boolean> {
  const diskFull = await explainDiskFull(error, diskFullContext(config));
  if (diskFull === null) return false;
  report(describeFatalError(diskFull));
  return true;
}
