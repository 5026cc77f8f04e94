import { DiskFullError } from '@resnet-lab/trainer';
import { describe, expect, it } from 'vitest';
import { diskFullContext, explainDiskFull, type DiskFullContext } from './explain-disk-full.js';

const embedded = diskFullContext({ dataDir: '/srv/data', artifactDir: '/srv/data/artifacts', databaseUrl: null });
const measured: string[] = [];
const noneFree = (target: string) => {
  measured.push(target);
  return Promise.resolve(0);
};

function errno(code: string, message: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code }, path === undefined ? {} : { path });
}

describe('explainDiskFull', () => {
  it("puts PostgreSQL's disk_full in the embedded cluster, under DATA_DIR", async () => {
    // As database.ts wraps pg's error when the server cannot even write a new connection's cache.
    const pgError = errno('53100', 'could not write init file: No space left on device');
    const error = new Error(`Cannot connect to the PostgreSQL server at x: ${pgError.message}`, { cause: pgError });
    measured.length = 0;
    const explained = await explainDiskFull(error, embedded, noneFree);
    expect(explained?.message).toBe(
      'No space left on device writing the database to /srv/data/postgres (DATA_DIR): 0.0 MiB free; free some space ' +
        'or set DATA_DIR to another disk.',
    );
    expect(explained?.cause).toBe(error);
    expect(measured).toEqual(['/srv/data/postgres']);
  });

  it("recognizes initdb's failure, which is only text", async () => {
    const error = new Error(
      'initdb failed: FATAL:  could not write to file "pg_wal/xlogtemp.9": No space left on device',
    );
    expect((await explainDiskFull(error, embedded, noneFree))?.message).toBe(
      'No space left on device writing the database to /srv/data/postgres (DATA_DIR): 0.0 MiB free; free some space ' +
        'or set DATA_DIR to another disk.',
    );
  });

  it('names the path of a file error, and the innermost setting that holds it', async () => {
    const error = errno('ENOSPC', 'ENOSPC: no space left on device, mkdir', '/srv/data/artifacts/registry/m/v1');
    expect((await explainDiskFull(error, embedded, noneFree))?.message).toBe(
      'No space left on device writing /srv/data/artifacts/registry/m/v1 (ARTIFACT_DIR): 0.0 MiB free; free some ' +
        'space or set ARTIFACT_DIR to another disk.',
    );
  });

  it("names a copy's destination, not its source", async () => {
    const error = Object.assign(errno('ENOSPC', 'ENOSPC: no space left on device, copyfile', '/srv/data/a.bin'), {
      dest: '/mnt/shared/b.bin',
    });
    const shared = diskFullContext({ dataDir: '/srv/data', artifactDir: '/mnt/shared', databaseUrl: null });
    expect((await explainDiskFull(error, shared, noneFree))?.message).toBe(
      'No space left on device writing /mnt/shared/b.bin (ARTIFACT_DIR): 0.0 MiB free; free some space or set ' +
        'ARTIFACT_DIR to another disk.',
    );
  });

  it('puts a write error, which names no path, at the first location', async () => {
    const error = errno('ENOSPC', 'ENOSPC: no space left on device, write');
    expect((await explainDiskFull(error, embedded, noneFree))?.message).toBe(
      'No space left on device writing /srv/data (DATA_DIR): 0.0 MiB free; free some space or set DATA_DIR to ' +
        'another disk.',
    );
  });

  it("adds the setting to the trainer's checkpoint error in a training worker", async () => {
    const run: DiskFullContext = {
      locations: [{ setting: 'ARTIFACT_DIR', directory: '/srv/artifacts/runs/r1' }],
      databaseDirectory: null,
    };
    const error = new DiskFullError(
      { what: 'checkpoint', path: '/srv/artifacts/runs/r1/checkpoints/last', bytes: 3 * 1024 * 1024, freeBytes: 5 },
      { cause: errno('ENOSPC', 'ENOSPC: no space left on device, write') },
    );
    expect((await explainDiskFull(error, run, noneFree))?.message).toBe(
      'No space left on device writing checkpoint (3.0 MiB) to /srv/artifacts/runs/r1/checkpoints/last (ARTIFACT_DIR): ' +
        '0.0 MiB free; free some space or set ARTIFACT_DIR to another disk.',
    );
  });

  it('leaves other errors, and a full disk on a PostgreSQL server elsewhere, alone', async () => {
    const remote = diskFullContext({ dataDir: '/srv/data', artifactDir: '/srv/a', databaseUrl: 'postgresql://db/x' });
    expect(await explainDiskFull(errno('53100', 'could not extend file "base/1/2"'), remote, noneFree)).toBeNull();
    expect(await explainDiskFull(errno('ENOENT', 'ENOENT: no such file', '/srv/data'), embedded, noneFree)).toBeNull();
    expect(await explainDiskFull(new Error('Cancelled'), embedded, noneFree)).toBeNull();
  });
});
