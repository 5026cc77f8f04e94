// The fields that read workers, checkpoint downloads and a model's run count, through the whole API: each query's
// whole result, on rows written the way workers and runs write them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../../test-support/test-api.js';

let test: TestApi;
let runningId: string;
let checkpointIds: { kept: string; pruned: string };

beforeAll(async () => {
  test = await startTestApi();
  const { prisma } = test.api.services;
  const dataset = await prisma.dataset.findUniqueOrThrow({ where: { name: 'synthetic' } });
  const model = await test.api.services.models.create({ name: 'tiny', arch: 'resnet18', width: 0.0625 });
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 12, minute));
  const worker = (host: string, status: 'ONLINE' | 'STOPPED' | 'LOST', heartbeat: number) =>
    prisma.worker.create({
      data: {
        id: host,
        host,
        pid: heartbeat,
        backend: 'wasm',
        device: 'CPU',
        queueWorkerId: `queue-${host}`,
        // Heartbeats from long ago, on a schedule long enough that the API's lost-worker sweep leaves them be.
        heartbeatSeconds: 1_000_000,
        status,
        lastHeartbeatAt: at(heartbeat),
      },
    });
  await worker('stopped', 'STOPPED', 30);
  await worker('online-early', 'ONLINE', 10);
  await worker('lost', 'LOST', 50);
  await worker('online-late', 'ONLINE', 40);
  const run = (name: string, minute: number, status: 'RUNNING' | 'COMPLETED', workerId: string) =>
    prisma.run.create({
      data: {
        name,
        modelId: model.id,
        datasetId: dataset.id,
        config: {},
        epochs: 1,
        outputDir: '',
        createdAt: at(minute),
        status,
        workerId,
        attempts: 1,
      },
    });
  await run('tiny #1', 1, 'COMPLETED', 'online-late');
  await run('tiny #2', 2, 'COMPLETED', 'stopped');
  runningId = (await run('tiny #3', 3, 'RUNNING', 'online-late')).id;
  const checkpoint = (epoch: number, prunedAt: Date | null) =>
    prisma.checkpoint.create({
      data: { runId: runningId, epoch, sizeBytes: 1n, sha256: '0'.repeat(64), location: `c/${epoch}`, prunedAt },
    });
  checkpointIds = { pruned: (await checkpoint(1, at(5))).id, kept: (await checkpoint(2, null)).id };
});
afterAll(async () => {
  await test?.close();
});

describe('workers', () => {
  it('lists the online workers, most recently heard from first, with the run each trains', async () => {
    const result = await test.execute(`{ system { workers { host status currentRun { name } } } }`);
    expect(result).toEqual({
      data: {
        system: {
          workers: [
            { host: 'online-late', status: 'ONLINE', currentRun: { name: 'tiny #3' } },
            { host: 'online-early', status: 'ONLINE', currentRun: null },
          ],
        },
      },
      errors: undefined,
    });
  });

  it('lists stopped and lost workers after the online ones when asked', async () => {
    const result = await test.execute<{ system: { workers: { host: string }[] } }>(
      `{ system { workers(includeStopped: true) { host } } }`,
    );
    expect(result.data!.system.workers.map((worker) => worker.host)).toEqual([
      'online-late',
      'online-early',
      'lost',
      'stopped',
    ]);
  });

  it("names each run's worker, and none for a run that no worker claimed", async () => {
    const queued = await test.api.services.prisma.run.create({
      data: {
        name: 'tiny #4',
        modelId: (await test.api.services.prisma.model.findUniqueOrThrow({ where: { name: 'tiny' } })).id,
        datasetId: (await test.api.services.prisma.dataset.findUniqueOrThrow({ where: { name: 'synthetic' } })).id,
        config: {},
        epochs: 1,
        outputDir: '',
        createdAt: new Date(Date.UTC(2026, 11, 1, 12, 4)),
      },
    });
    const result = await test.execute(
      `{ runs(orderBy: { field: CREATED_AT, direction: ASC }) { edges { node { name attempts worker { host } } } } }`,
    );
    expect(result.data).toEqual({
      runs: {
        edges: [
          { node: { name: 'tiny #1', attempts: 1, worker: { host: 'online-late' } } },
          { node: { name: 'tiny #2', attempts: 1, worker: { host: 'stopped' } } },
          { node: { name: 'tiny #3', attempts: 1, worker: { host: 'online-late' } } },
          { node: { name: queued.name, attempts: 0, worker: null } },
        ],
      },
    });
  });
});

describe('checkpoints', () => {
  it('gives the download path of a checkpoint whose files are kept, and none for a pruned one', async () => {
    const query = `query($id: ID!) { checkpoint(id: $id) { epoch available downloadPath } }`;
    expect((await test.execute(query, { id: checkpointIds.kept })).data).toEqual({
      checkpoint: { epoch: 2, available: true, downloadPath: `/checkpoints/${checkpointIds.kept}/download` },
    });
    expect((await test.execute(query, { id: checkpointIds.pruned })).data).toEqual({
      checkpoint: { epoch: 1, available: false, downloadPath: null },
    });
  });
});

describe("a model's runs", () => {
  it('lists the newest runs up to first, and counts them all', async () => {
    const result = await test.execute(`{ model(name: "tiny") { runCount runs(first: 2) { name } } }`);
    expect(result.data).toEqual({ model: { runCount: 4, runs: [{ name: 'tiny #4' }, { name: 'tiny #3' }] } });
  });

  it('refuses first outside 1 to 100 with BAD_USER_INPUT', async () => {
    const result = await test.execute(`{ model(name: "tiny") { runs(first: 101) { name } } }`);
    expect(result.errors).toEqual([
      {
        message: 'Expected first from 1 to 100, got 101.',
        locations: [{ line: 1, column: 25 }],
        path: ['model', 'runs'],
        extensions: { code: 'BAD_USER_INPUT', field: 'first', value: 101 },
      },
    ]);
  });
});
