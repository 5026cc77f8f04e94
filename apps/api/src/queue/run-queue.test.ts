import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase } from '../../test-support/test-database.js';
import { describe, expect, it } from 'vitest';

const OPEN_RUN_QUEUE = fileURLToPath(new URL('../../test-support/open-run-queue.ts', import.meta.url));

describe('RunQueue.open', () => {
  it('installs the queue schema once when several processes start together on a fresh database', async () => {
    // Two APIs and a worker starting at once on a new database each install graphile-worker's schema; without the
    // lock one of them fails with a duplicate key on its schema name.
    const url = await createTestDatabase('queue');
    // Every process opens at the same moment, once all have loaded.
    const at = String(Date.now() + 4000);
    const opened = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', OPEN_RUN_QUEUE, url, at]).then(
          () => 'opened',
          (error: { stderr: string }) => error.stderr.split('\n').find((line) => line.startsWith('error:')) ?? 'failed',
        ),
      ),
    );
    expect(opened).toEqual(Array<string>(6).fill('opened'));
  });
});
