// The API on a real PostgreSQL server: migrations at start-up, a run's persistence across restarts, and the
// transport-level protections (token over HTTP and WebSocket, body limit, CSRF prevention).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS, setUp, startRun, type ProgressEvent } from './support/api-fixtures.js';
import {
  collect,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type WorkerProcess,
} from './support/api-process.js';
import { startPostgresServer, type PostgresServer } from './support/postgres-server.js';

const TOKEN = 'e2e-secret-token';
const MAX_BODY_BYTES = 65536;

let postgres: PostgresServer;
let databaseUrl: string;
let dataDir: string;
let api: ApiProcess;
let worker: WorkerProcess;

function start(): Promise<ApiProcess> {
  return startApiProcess({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    API_TOKEN: TOKEN,
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  });
}

beforeAll(async () => {
  postgres = await startPostgresServer();
  databaseUrl = await postgres.createDatabase('resnet_lab');
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-pg-'));
  api = await start();
  worker = await startWorkerProcess({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await postgres?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('the API on PostgreSQL', () => {
  it('migrates the database at start-up and keeps a run, its metrics and checkpoints across a restart', async () => {
    expect(api.output()).toContain('database: PostgreSQL at postgresql://postgres:***@127.0.0.1:');
    await setUp(api, TOKEN);
    const runId = await startRun(api, { epochs: 2 }, TOKEN);
    const events = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId });
    expect(events.at(-1)).toMatchObject({ status: 'COMPLETED' });

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const run = await client.query('SELECT status, "currentEpoch", backend FROM "Run" WHERE id = $1', [runId]);
      expect(run.rows).toEqual([{ status: 'COMPLETED', currentEpoch: 2, backend: 'wasm' }]);
      const metrics = await client.query('SELECT epoch FROM "EpochMetric" WHERE "runId" = $1 ORDER BY epoch', [runId]);
      expect(metrics.rows).toEqual([{ epoch: 1 }, { epoch: 2 }]);
      const checkpoints = await client.query('SELECT count(*)::int AS n FROM "Checkpoint" WHERE "runId" = $1', [runId]);
      expect(checkpoints.rows).toEqual([{ n: 2 }]);
    } finally {
      await client.end();
    }

    await api.stop();
    api = await start();
    const after = await api.request<{ run: { status: string; metrics: { epoch: number }[] } }>(
      `query($id: ID!) { run(id: $id) { status metrics { epoch } } }`,
      { id: runId },
    );
    expect(after.data).toEqual({ run: { status: 'COMPLETED', metrics: [{ epoch: 1 }, { epoch: 2 }] } });
  });

  it('requires the token for mutations over HTTP and WebSocket, and keeps queries and subscriptions open', async () => {
    const mutation = `mutation { createModel(input: { name: "other", arch: "resnet18" }) { name } }`;
    const overHttp = await api.request(mutation);
    expect(overHttp.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });

    const anonymous = api.subscriptions();
    const overSocket = await collect(anonymous, mutation, {}).catch((error: Error) => error.message);
    expect(overSocket).toContain('UNAUTHENTICATED');
    const withToken = await collect(api.subscriptions(TOKEN), mutation, {});
    expect(withToken).toEqual([{ name: 'other' }]);

    const query = await api.request<{ models: { name: string }[] }>(`{ models { name } }`);
    expect(query.data!.models.map((model) => model.name).sort()).toEqual(['other', 'tiny']);
  });

  it('refuses bodies over MAX_BODY_BYTES and cross-site simple requests, and answers CORS preflights', async () => {
    const large = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ models { name } }', variables: { padding: 'x'.repeat(MAX_BODY_BYTES) } }),
    });
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({
      errors: [
        {
          message: `Request body over ${MAX_BODY_BYTES} bytes (MAX_BODY_BYTES).`,
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
    // The dashboard, on another origin, may call it: the preflight is answered.
    const preflight = await fetch(api.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    // A form post or <img> GET cannot set content-type: application/json; Apollo's CSRF prevention refuses it.
    const simple = await fetch(`${api.url}?query=${encodeURIComponent('{ models { name } }')}`);
    expect(simple.status).toBe(400);
    expect(await simple.text()).toContain('CSRF');
  });
});
