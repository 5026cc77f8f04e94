// A temporary DATA_DIR in which the embedded PostgreSQL server can live: as root the server runs as the postgres
// user, which must be able to enter the directory (mkdtemp makes it private to root).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function makeEmbeddedDataDir(prefix: string): Promise<string> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(directory, 0o755);
  return directory;
}
