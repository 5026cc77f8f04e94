// Several processes on one DATA_DIR, as people do by accident: `npm run db:migrate` while the API runs, a second
// API, a second `npm start`. The embedded PostgreSQL server has one owner; the others join it or are refused with
// the process that holds it, and nothing that was confirmed is lost.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeEmbeddedDataDir } from '@resnet-lab/api/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { freePort } from './support/free-port.js';

const root = path.resolve(import.meta.dirname, '..');
const API_BIN = path.join(root, 'apps', 'api', 'bin', 'resnet-lab-api.js');
const START = path.join(root, 'scripts', 'start.ts');

let dataDir: string;
let api: ApiProcess;

/** Runs a command as a user would, with DATA_DIR and nothing of the test runner's database settings. */
async function run(args: string[]): Promise<{ code: number; output: string }> {
  // DASHBOARD_PORT names one port (not 0): the API allows the dashboard's origin on it.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    DASHBOARD_PORT: String(await freePort()),
  };
  delete env.DATABASE_URL;
  return promisify(execFile)(process.execPath, args, { cwd: root, env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
}

async function modelNames(server: ApiProcess): Promise<string[]> {
  const result = await server.request<{ models: { name: string }[] }>(`{ models { name } }`);
  return result.data!.models.map((model) => model.name).sort();
}

beforeAll(async () => {
  dataDir = await makeEmbeddedDataDir('resnet-lab-shared-');
  api = await startApiProcess({ DATA_DIR: dataDir });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('one data directory, several processes', () => {
  it('migrates while the API runs, lets a second API join, refuses a second owner, and loses nothing', async () => {
    const created = await api.request(`mutation { createModel(input: { name: "kept", arch: "resnet18" }) { id } }`);
    expect(created.errors).toBeUndefined();

    // `npm run db:migrate` joins the running server.
    const migrated = await run([API_BIN, 'migrate']);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.output).toMatch(/embedded PostgreSQL at .* started by the API\) is up to date\./);

    // A second API joins it too, and sees and adds to the same data; stopping it leaves the server running.
    const second = await startApiProcess({ DATA_DIR: dataDir });
    expect(await modelNames(second)).toEqual(['kept']);
    await second.request(`mutation { createModel(input: { name: "from-second", arch: "resnet34" }) { id } }`);
    expect(await second.stop()).toBe(0);
    expect(await modelNames(api)).toEqual(['from-second', 'kept']);

    // A second `npm start` would own the server too: refused at once, naming the process that holds it.
    const launcher = await run(['--import', 'tsx', START]);
    expect(launcher.code).toBe(1);
    expect(launcher.output).toContain(`The data directory ${dataDir} is in use: its PostgreSQL server (127.0.0.1:`);
    expect(launcher.output).toContain(`was started by the API (pid ${api.process.pid})`);
    expect(await modelNames(api)).toEqual(['from-second', 'kept']);

    // The owner stops the server with itself; everything confirmed is there after a restart.
    expect(await api.stop()).toBe(0);
    api = await startApiProcess({ DATA_DIR: dataDir });
    expect(await modelNames(api)).toEqual(['from-second', 'kept']);
  });
});
