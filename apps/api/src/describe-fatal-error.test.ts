import { inspect } from 'node:util';
import { DiskFullError } from '@resnet-lab/trainer';
import { describe, expect, it } from 'vitest';
import { describeFatalError } from './describe-fatal-error.js';

describe('describeFatalError', () => {
  it("tells a full disk in one paragraph and the line where PostgreSQL said so, not the server's log", () => {
    // As startEmbeddedPostgres reports a server that did not start: the tail of its log, the newest line last.
    const log = [
      '2026-12-01 17:32:57.722 UTC [11538] LOG:  database system is shut down',
      '2026-12-01 17:33:07.551 UTC [11721] FATAL:  could not write lock file "postmaster.pid": No space left on device',
      '2026-12-01 17:33:15.268 UTC [11818] FATAL:  could not write lock file "postmaster.pid": No space left on device',
    ].join('\n');
    const notStarted = new Error(
      `The embedded PostgreSQL server in /srv/data/postgres did not start. Its log ends:\n${log}`,
      {
        cause: new Error('pg_ctl failed: pg_ctl: could not start server'),
      },
    );
    const error = new DiskFullError(
      { what: 'the database', path: '/srv/data/postgres', setting: 'DATA_DIR', freeBytes: 0 },
      { cause: notStarted },
    );
    expect(describeFatalError(error)).toBe(
      'No space left on device writing the database to /srv/data/postgres (DATA_DIR): 0.0 MiB free; free some space ' +
        'or set DATA_DIR to another disk.\n' +
        'Caused by: 2026-12-01 17:33:15.268 UTC [11818] FATAL:  could not write lock file "postmaster.pid": No space ' +
        'left on device',
    );
  });

  it("reads the message of a Prisma driver adapter's plain-object cause, and does not repeat one", () => {
    const error = new Error('Migration failed', {
      cause: {
        kind: 'postgres',
        originalCode: '53100',
        originalMessage: 'could not extend file "base/1/2": No space left on device',
      },
    });
    expect(describeFatalError(error)).toBe(
      'Migration failed\nCaused by: could not extend file "base/1/2": No space left on device',
    );
    const connect = new Error('Cannot connect to x: could not write init file: No space left on device', {
      cause: Object.assign(new Error('could not write init file: No space left on device'), { code: '53100' }),
    });
    expect(describeFatalError(connect)).toBe('Cannot connect to x: could not write init file: No space left on device');
  });

  it('shows any other error with its stack and causes, as Node would, less the source line', () => {
    const error = new Error('The dashboard build failed (exit code 1).', { cause: new Error('tsc failed') });
    expect(describeFatalError(error)).toBe(inspect(error));
    expect(describeFatalError(error)).toMatch(/^Error: The dashboard build failed \(exit code 1\)\.\n {4}at /);
    expect(describeFatalError(error)).toContain('[cause]: Error: tsc failed');
  });
});
