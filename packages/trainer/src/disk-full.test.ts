import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DiskFullError, describeDiskFull, diskFullEvidence, isDiskFull } from './disk-full.js';

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe('isDiskFull', () => {
  // Linux's /dev/full fails every write with ENOSPC: the error Node gives for a full disk.
  it.skipIf(!existsSync('/dev/full'))("recognizes Node's error for a write to a full disk", async () => {
    const error = await fs.writeFile('/dev/full', 'x').catch((caught: unknown) => caught);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(isDiskFull(error)).toBe(true);
  });

  it.each([
    ['an exhausted quota (EDQUOT)', errno('EDQUOT', 'EDQUOT: disk quota exceeded, write')],
    // pg's DatabaseError: PostgreSQL's SQLSTATE 53100 disk_full as `code`.
    ['PostgreSQL disk_full through pg', errno('53100', 'could not write init file')],
    // Prisma's DriverAdapterError keeps the SQLSTATE in a plain-object cause.
    [
      'PostgreSQL disk_full through a Prisma driver adapter',
      new Error('could not extend file', { cause: { kind: 'postgres', originalCode: '53100', code: '53100' } }),
    ],
    // initdb reports only text.
    [
      "the OS message in a tool's output",
      new Error('initdb failed: FATAL:  could not write to file "pg_wal/xlogtemp.7": No space left on device'),
    ],
    [
      'a cause further down the chain',
      new Error('Migration 1_init failed', { cause: new Error('wrapped', { cause: errno('ENOSPC', 'write') }) }),
    ],
    ['a DiskFullError', new DiskFullError({ path: '/data', freeBytes: 0, neededBytes: 1 })],
  ])('recognizes %s', (_name, error) => {
    expect(isDiskFull(error)).toBe(true);
  });

  const cyclic = new Error('cyclic');
  (cyclic as { cause?: unknown }).cause = cyclic;
  it.each([
    ['a missing file', errno('ENOENT', "ENOENT: no such file or directory, open '/x'")],
    ['too many connections (SQLSTATE 53300)', errno('53300', 'sorry, too many clients already')],
    ['a plain error', new Error('Cancelled')],
    ['a cycle of causes', cyclic],
    ['null', null],
    ['a number', 28],
  ])('does not mistake %s for a full disk', (_name, error) => {
    expect(isDiskFull(error)).toBe(false);
  });
});

describe('describeDiskFull', () => {
  it('names what was written, where, the setting behind it and the space left', () => {
    expect(
      describeDiskFull({
        what: 'checkpoint',
        path: '/srv/a/runs/1/checkpoints/last',
        bytes: 89_450_000,
        setting: 'ARTIFACT_DIR',
        freeBytes: 0,
      }),
    ).toBe(
      'No space left on device writing checkpoint (85 MiB) to /srv/a/runs/1/checkpoints/last (ARTIFACT_DIR): 0.0 MiB ' +
        'free; free some space or set ARTIFACT_DIR to another disk.',
    );
    expect(describeDiskFull({ path: '/srv/data', setting: 'DATA_DIR', freeBytes: 123 * 1024 * 1024 + 5 })).toBe(
      'No space left on device writing /srv/data (DATA_DIR): 123 MiB free; free some space or set DATA_DIR to another disk.',
    );
    expect(describeDiskFull({ what: 'model', path: '/tmp/m', freeBytes: null })).toBe(
      'No space left on device writing model to /tmp/m: free space unknown; free some space or write to another disk.',
    );
  });

  it('says how much is needed when a check refuses to start', () => {
    const error = new DiskFullError({
      path: '/srv/data',
      setting: 'DATA_DIR',
      freeBytes: 3 * 1024 * 1024,
      neededBytes: 64 * 1024 * 1024,
    });
    expect(error.message).toBe(
      'Not enough free space for /srv/data (DATA_DIR): 3.0 MiB free, at least 64 MiB needed; free some space or ' +
        'set DATA_DIR to another disk.',
    );
    expect(error.name).toBe('DiskFullError');
  });
});

describe('diskFullEvidence', () => {
  it('finds the line that reports the full disk, the newest of a log, past a DiskFullError', () => {
    const log = new Error(
      'pg_ctl failed. Its log ends:\n' +
        '10:00 FATAL:  could not write lock file "postmaster.pid": No space left on device\n' +
        '10:05 LOG:  shutting down\n' +
        '10:07 FATAL:  could not write lock file "postmaster.pid": No space left on device',
    );
    const error = new DiskFullError({ path: '/data', freeBytes: 0 }, { cause: new Error('wrapped', { cause: log }) });
    expect(diskFullEvidence(error)).toBe(
      '10:07 FATAL:  could not write lock file "postmaster.pid": No space left on device',
    );
    expect(diskFullEvidence({ originalMessage: 'could not extend file "base/1/2": No space left on device' })).toBe(
      'could not extend file "base/1/2": No space left on device',
    );
    expect(diskFullEvidence(errno('53100', 'could not write init file'))).toBeNull();
  });
});
