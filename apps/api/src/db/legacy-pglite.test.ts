import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { warnAboutPGlite } from './legacy-pglite.js';

describe('warnAboutPGlite', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-legacy-'));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  it('says nothing for a data directory without a PGlite database', async () => {
    const lines: string[] = [];
    expect(await warnAboutPGlite(dataDir, (line) => lines.push(line))).toBe(false);
    expect(lines).toEqual([]);
  });

  it("names ResNet Lab 0.1's database, where the data is now, and how to bring records over", async () => {
    await fs.mkdir(path.join(dataDir, 'db'));
    await fs.writeFile(path.join(dataDir, 'db', 'PG_VERSION'), '17\n');
    const lines: string[] = [];
    expect(await warnAboutPGlite(dataDir, (line) => lines.push(line))).toBe(true);
    expect(lines).toEqual([
      `Note: ${dataDir}/db holds the embedded PGlite database of ResNet Lab 0.1, which this version no longer reads; ` +
        `the tracking database is now the PostgreSQL server in ${dataDir}/postgres. Run files under ${dataDir}/runs ` +
        `and ${dataDir}/registry are kept. Its records are not carried over automatically: dump it as SQL with pgDump ` +
        'from the npm package @electric-sql/pglite-tools (PGlite 0.5) and load the dump into the new server with ' +
        `psql. Move ${dataDir}/db away to silence this note.`,
    ]);
  });
});
