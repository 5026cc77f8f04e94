// ResNet Lab 0.1 kept its tracking database in DATA_DIR/db with PGlite, an in-process PostgreSQL; this version
// runs a real PostgreSQL server in DATA_DIR/postgres and no longer reads PGlite's files. A data directory from 0.1
// is left as it is, with a message saying how to bring its records over.
import fs from 'node:fs/promises';
import path from 'node:path';
import { legacyPGliteDir } from '../config.js';

export async function warnAboutPGlite(
  dataDir: string,
  log: (message: string) => void = console.error,
): Promise<boolean> {
  const directory = legacyPGliteDir(dataDir);
  const found = await fs.access(path.join(directory, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (found) {
    log(
      `Note: ${directory} holds the embedded PGlite database of ResNet Lab 0.1, which this version no longer reads; ` +
        `the tracking database is now the PostgreSQL server in ${path.join(dataDir, 'postgres')}. Run files under ` +
        `${path.join(dataDir, 'runs')} and ${path.join(dataDir, 'registry')} are kept. Its records are not carried ` +
        'over automatically: dump it as SQL with pgDump from the npm package @electric-sql/pglite-tools (PGlite 0.5) ' +
        `and load the dump into the new server with psql. Move ${directory} away to silence this note.`,
    );
  }
  return found;
}
