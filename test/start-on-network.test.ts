// `npm start` on a network address: without API_TOKEN it stops at once, before it starts the database, builds the
// dashboard or starts the API, saying why and what to set.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

describe('npm start', () => {
  it('refuses HOST=0.0.0.0 without API_TOKEN with exit code 2, the reason and the fix, and starts nothing', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-network-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, HOST: '0.0.0.0', DATA_DIR: dataDir };
      delete env.API_TOKEN;
      delete env.DATABASE_URL;
      const failure = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        cwd: root,
        env,
        timeout: 60_000,
      }).then(
        () => null,
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(failure).toMatchObject({
        code: 2,
        stdout: '',
        stderr:
          'Invalid configuration: HOST: the API would listen on 0.0.0.0, where other machines can reach it, but ' +
          'API_TOKEN is not set, so anyone who reaches it could create models, start runs and register datasets. ' +
          'Set API_TOKEN (at least 8 characters) to require it for mutations, or HOST=127.0.0.1 to listen on this ' +
          'machine only.\n',
      });
      await expect(fs.readdir(dataDir)).resolves.toEqual([]);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
