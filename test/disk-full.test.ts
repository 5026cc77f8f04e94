// A full disk, for real: small tmpfs mounts (as root; skipped with the reason where mounting is refused). The
// commands refuse to start on a disk with too little space, saying where and what to do, and a run whose checkpoint
// does not fit ends FAILED with a message that names the checkpoint, the space left and ARTIFACT_DIR.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DirectoryArtifactStore } from '@resnet-lab/api';
import { createTestDatabase, makeEmbeddedDataDir } from '@resnet-lab/api/test-support';
import { DiskFullError } from '@resnet-lab/trainer';
import { describe, expect, it } from 'vitest';
import { collect, startApiProcess, startWorkerProcess } from './support/api-process.js';
import { PROGRESS, setUp, startRun, type ProgressEvent } from './support/api-fixtures.js';
import { mountTmpfs } from './support/tmpfs.js';

const root = path.resolve(import.meta.dirname, '..');
const API_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-api.js');
const WORKER_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-worker.js');
const START = path.join(root, 'scripts', 'start.ts');

/** Runs a command as a user would, with `env` and none of the test runner's database settings. */
function runCommand(args: string[], env: Record<string, string>) {
  const inherited: NodeJS.ProcessEnv = { ...process.env, PORT: '0', ...env };
  for (const variable of ['DATABASE_URL', 'ARTIFACT_DIR', 'API_TOKEN']) {
    if (!(variable in env)) delete inherited[variable];
  }
  return spawnSync(process.execPath, args, { cwd: root, env: inherited, encoding: 'utf8', timeout: 60_000 });
}

describe('a full disk', () => {
  it('stops the API, a worker and npm start before they write, in one paragraph, with exit code 1', async (context) => {
    const disk = await mountTmpfs(2);
    if (typeof disk === 'string') return context.skip(disk);
    try {
      const dataDir = path.join(disk.directory, 'data');
      const message =
        `Not enough free space for ${dataDir} (DATA_DIR): 2.0 MiB free, at least 64 MiB needed; free some space or ` +
        'set DATA_DIR to another disk.\n';
      for (const args of [[API_BIN], [API_BIN, 'migrate'], [WORKER_BIN], ['--import', 'tsx', START]]) {
        const result = runCommand(args, { DATA_DIR: dataDir });
        expect({ args: args.at(-1), status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({
          args: args.at(-1),
          status: 1,
          stderr: message,
          stdout: '',
        });
      }
      // Nothing was written: no half-made cluster to clean up.
      expect(await fs.readdir(disk.directory)).toEqual([]);
    } finally {
      await disk.unmount();
    }
  });

  it('fails a run whose checkpoint does not fit, naming the checkpoint, the space left and ARTIFACT_DIR', async (context) => {
    const disk = await mountTmpfs(65);
    if (typeof disk === 'string') return context.skip(disk);
    const dataDir = await makeEmbeddedDataDir('resnet-lab-disk-full-');
    const env = {
      DATABASE_URL: await createTestDatabase('disk_full'),
      DATA_DIR: dataDir,
      ARTIFACT_DIR: disk.directory,
    };
    const api = await startApiProcess(env);
    const worker = await startWorkerProcess(env).catch(async (error: unknown) => {
      await api.stop();
      throw error;
    });
    try {
      await setUp(api);
      await disk.fill();
      const runId = await startRun(api, { epochs: 1 });
      const events = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId });
      const checkpoint = path.join(disk.directory, 'runs', runId, 'checkpoints', 'last');
      const expected =
        `No space left on device writing checkpoint (0.4 MiB) to ${checkpoint} (ARTIFACT_DIR): 0.0 MiB free; free ` +
        'some space or set ARTIFACT_DIR to another disk.';
      expect(events.at(-1)).toEqual({ __typename: 'RunStatusChanged', status: 'FAILED', errorMessage: expected });
      const stored = await api.request<{ run: { status: string; errorMessage: string } }>(
        `query($id: ID!) { run(id: $id) { status errorMessage } }`,
        { id: runId },
      );
      expect(stored.data!.run).toEqual({ status: 'FAILED', errorMessage: expected });
    } finally {
      await worker.stop();
      await api.stop();
      await disk.unmount();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an artifact copy that does not fit, saying where and how much is left', async (context) => {
    const disk = await mountTmpfs(1);
    if (typeof disk === 'string') return context.skip(disk);
    try {
      const store = new DirectoryArtifactStore(disk.directory);
      const checkpoint = store.resolve('runs/r1/checkpoints/epoch-0001');
      await fs.mkdir(checkpoint, { recursive: true });
      await fs.writeFile(path.join(checkpoint, 'weights.bin'), Buffer.alloc(600 * 1024));

      const error = await store
        .copy('runs/r1/checkpoints/epoch-0001', 'registry/m/v1')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DiskFullError);
      expect((error as Error).message).toBe(
        `No space left on device writing artifact "registry/m/v1" to ${store.resolve('registry/m/v1')} (ARTIFACT_DIR): ` +
          '0.4 MiB free; free some space or set ARTIFACT_DIR to another disk.',
      );
      expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
      // No partial copy is left behind.
      expect(await store.list('registry/m')).toEqual([]);
      expect(await fs.readdir(store.resolve('registry/m'))).toEqual([]);
    } finally {
      await disk.unmount();
    }
  });
});
