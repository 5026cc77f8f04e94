// archiveRun, unarchiveRun, RunFilter.archived and deleteRun through the whole API: what the runs list shows, which
// rows and files a deletion removes (and which it leaves), and the CONFLICT and NOT_FOUND errors of what they refuse.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';

let test: TestApi;
beforeAll(async () => {
  test = await startTestApi();
});
afterAll(async () => {
  await test?.close();
});

const ARCHIVE = `mutation($id: ID!) { archiveRun(id: $id) { id archivedAt } }`;
const UNARCHIVE = `mutation($id: ID!) { unarchiveRun(id: $id) { id archivedAt } }`;
const DELETE = `mutation($id: ID!) { deleteRun(id: $id) }`;
/** Only the page: its totalCount may be up to RUN_COUNT_MAX_AGE_MS old for a filter asked for before. */
const RUN_IDS = `query($filter: RunFilter) { runs(filter: $filter) { edges { node { id archivedAt } } } }`;

/** The errors of an operation as [message, extensions] pairs. */
async function errorsOf(query: string, variables: Record<string, unknown>) {
  const result = await test.execute(query, variables);
  expect(result.data).toBeNull();
  return result.errors?.map((error) => [error.message, error.extensions]);
}

async function createModel(name: string): Promise<string> {
  return (await test.api.services.models.create({ name, arch: 'resnet18', width: 0.0625 })).id;
}

/** A run of the model on the synthetic dataset, queued by startRun and then set to `status` as a worker would. */
async function startRun(modelName: string, name: string, status = 'COMPLETED'): Promise<string> {
  const result = await test.execute<{ startRun: { id: string } }>(
    `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`,
    { input: { modelName, datasetName: 'synthetic', name, epochs: 3 } },
  );
  if (!result.data) throw new Error(`Expected startRun to succeed, got ${JSON.stringify(result.errors)}.`);
  const { id } = result.data.startRun;
  await test.api.services.prisma.run.update({ where: { id }, data: { status: status as 'COMPLETED' } });
  return id;
}

/** A checkpoint of the run at `location` (a key in the artifact store, or an absolute path) with a weights file. */
async function addCheckpoint(runId: string, epoch: number, location: string): Promise<string> {
  const { prisma, artifacts } = test.api.services;
  await fs.mkdir(artifacts.resolve(location), { recursive: true });
  await fs.writeFile(path.join(artifacts.resolve(location), 'weights.bin'), `weights of epoch ${epoch}`);
  const checkpoint = await prisma.checkpoint.create({
    data: { runId, epoch, sizeBytes: 17n, sha256: '0'.repeat(64), location },
  });
  return checkpoint.id;
}

/** What a worker records for one epoch: its metric, two batches and its checkpoint, files included. */
async function trainEpoch(runId: string, epoch: number): Promise<string> {
  const { prisma } = test.api.services;
  await prisma.epochMetric.create({
    data: {
      runId,
      epoch,
      trainLoss: 1,
      trainAccuracy: 0.5,
      learningRate: 0.1,
      durationSeconds: 1,
      imagesPerSecond: 100,
    },
  });
  for (const batch of [1, 2]) {
    await prisma.batchMetric.create({
      data: { runId, step: (epoch - 1) * 2 + batch, epoch, batch, loss: 1, accuracy: 0.5, learningRate: 0.1 },
    });
  }
  return addCheckpoint(runId, epoch, `runs/${runId}/checkpoints/epoch-${String(epoch).padStart(4, '0')}`);
}

/** How many rows of each kind refer to the run. */
async function rowsOf(runId: string) {
  const { prisma } = test.api.services;
  return {
    runs: await prisma.run.count({ where: { id: runId } }),
    epochMetrics: await prisma.epochMetric.count({ where: { runId } }),
    batchMetrics: await prisma.batchMetric.count({ where: { runId } }),
    checkpoints: await prisma.checkpoint.count({ where: { runId } }),
    predictions: await prisma.prediction.count({ where: { checkpoint: { runId } } }),
  };
}

async function exists(localPath: string): Promise<boolean> {
  return fs.stat(localPath).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

describe('archiveRun and unarchiveRun', () => {
  let older: string;
  let newer: string;
  beforeAll(async () => {
    await createModel('archived-runs');
    older = await startRun('archived-runs', 'older');
    newer = await startRun('archived-runs', 'newer');
  });

  it('takes an archived run out of the runs list, and `archived: true` lists only archived runs', async () => {
    const { modelId } = await test.api.services.prisma.run.findUniqueOrThrow({ where: { id: older } });
    const archived = await test.execute<{ archiveRun: { id: string; archivedAt: string } }>(ARCHIVE, { id: older });
    const { archivedAt } = await test.api.services.prisma.run.findUniqueOrThrow({ where: { id: older } });
    expect(archivedAt).toBeInstanceOf(Date);
    expect(archived).toEqual({
      data: { archiveRun: { id: older, archivedAt: archivedAt!.toISOString() } },
      errors: undefined,
    });

    const list = `query($filter: RunFilter) { runs(filter: $filter) { totalCount edges { node { id archivedAt } } } }`;
    expect((await test.execute(list, { filter: { modelId } })).data).toEqual({
      runs: { totalCount: 1, edges: [{ node: { id: newer, archivedAt: null } }] },
    });
    expect((await test.execute(list, { filter: { modelId, archived: true } })).data).toEqual({
      runs: { totalCount: 1, edges: [{ node: { id: older, archivedAt: archivedAt!.toISOString() } }] },
    });
    expect((await test.execute(RUN_IDS, { filter: { modelId, archived: false } })).data).toEqual({
      runs: { edges: [{ node: { id: newer, archivedAt: null } }] },
    });
    // Still there for whoever has its id.
    expect((await test.execute(`query($id: ID!) { run(id: $id) { name } }`, { id: older })).data).toEqual({
      run: { name: 'older' },
    });
  });

  it('keeps the first archivedAt when archived again', async () => {
    const { archivedAt } = await test.api.services.prisma.run.findUniqueOrThrow({ where: { id: older } });
    expect(await test.execute(ARCHIVE, { id: older })).toEqual({
      data: { archiveRun: { id: older, archivedAt: archivedAt!.toISOString() } },
      errors: undefined,
    });
  });

  it('brings a run back into the runs list with unarchiveRun, and returns a run not archived unchanged', async () => {
    const { modelId } = await test.api.services.prisma.run.findUniqueOrThrow({ where: { id: older } });
    expect(await test.execute(UNARCHIVE, { id: older })).toEqual({
      data: { unarchiveRun: { id: older, archivedAt: null } },
      errors: undefined,
    });
    expect((await test.execute(RUN_IDS, { filter: { modelId } })).data).toEqual({
      runs: {
        edges: [{ node: { id: newer, archivedAt: null } }, { node: { id: older, archivedAt: null } }],
      },
    });
    expect((await test.execute(RUN_IDS, { filter: { modelId, archived: true } })).data).toEqual({
      runs: { edges: [] },
    });
    expect(await test.execute(UNARCHIVE, { id: older })).toEqual({
      data: { unarchiveRun: { id: older, archivedAt: null } },
      errors: undefined,
    });
  });

  it('refuses a QUEUED or RUNNING run with CONFLICT, and leaves it in the list', async () => {
    const queued = await startRun('archived-runs', 'waiting', 'QUEUED');
    const running = await startRun('archived-runs', 'training', 'RUNNING');
    expect(await errorsOf(ARCHIVE, { id: queued })).toEqual([
      [
        "Run 'waiting' is QUEUED: only a finished run can be archived; cancel it with cancelRun first.",
        { code: 'CONFLICT' },
      ],
    ]);
    expect(await errorsOf(ARCHIVE, { id: running })).toEqual([
      [
        "Run 'training' is RUNNING: only a finished run can be archived; cancel it with cancelRun first.",
        { code: 'CONFLICT' },
      ],
    ]);
    const { prisma } = test.api.services;
    expect(await prisma.run.count({ where: { id: { in: [queued, running] }, archivedAt: { not: null } } })).toBe(0);
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    expect(await errorsOf(ARCHIVE, { id: 'missing' })).toEqual([
      ["No run with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
    expect(await errorsOf(UNARCHIVE, { id: 'missing' })).toEqual([
      ["No run with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});

describe('deleteRun', () => {
  beforeAll(async () => {
    await createModel('deleted-runs');
  });

  it('deletes the run, its metrics, batch metrics, checkpoints and predictions, then its files', async () => {
    const { prisma, artifacts } = test.api.services;
    const id = await startRun('deleted-runs', 'doomed');
    const first = await trainEpoch(id, 1);
    await trainEpoch(id, 2);
    await fs.writeFile(path.join(artifacts.resolve(`runs/${id}`), 'train.log'), 'epoch 1\nepoch 2\n');
    await prisma.prediction.create({
      data: { checkpointId: first, topK: [], latencyMs: 1, inputSha256: '0'.repeat(64) },
    });
    // A neighbour whose rows and files stay.
    const kept = await startRun('deleted-runs', 'kept');
    await trainEpoch(kept, 1);
    expect(await rowsOf(id)).toEqual({ runs: 1, epochMetrics: 2, batchMetrics: 4, checkpoints: 2, predictions: 1 });
    expect((await fs.readdir(artifacts.resolve(`runs/${id}`))).sort()).toEqual(['checkpoints', 'train.log']);

    expect(await test.execute(DELETE, { id })).toEqual({ data: { deleteRun: id }, errors: undefined });
    expect(await rowsOf(id)).toEqual({ runs: 0, epochMetrics: 0, batchMetrics: 0, checkpoints: 0, predictions: 0 });
    expect(await exists(artifacts.resolve(`runs/${id}`))).toBe(false);
    expect((await test.execute(`query($id: ID!) { run(id: $id) { id } }`, { id })).data).toEqual({ run: null });
    expect(await rowsOf(kept)).toEqual({ runs: 1, epochMetrics: 1, batchMetrics: 2, checkpoints: 1, predictions: 0 });
    expect(await fs.readdir(artifacts.resolve(`runs/${kept}/checkpoints/epoch-0001`))).toEqual(['weights.bin']);
    // Deleted once: the second time there is nothing.
    expect(await errorsOf(DELETE, { id })).toEqual([[`No run with id '${id}'.`, { code: 'NOT_FOUND', id }]]);
  });

  it('deletes an archived run', async () => {
    const id = await startRun('deleted-runs', 'archived then deleted');
    await test.execute(ARCHIVE, { id });
    expect(await test.execute(DELETE, { id })).toEqual({ data: { deleteRun: id }, errors: undefined });
    expect(await rowsOf(id)).toEqual({ runs: 0, epochMetrics: 0, batchMetrics: 0, checkpoints: 0, predictions: 0 });
  });

  it('leaves the files of a CLI-tracked run, which are on its own machine, outside the artifact store', async () => {
    const { prisma } = test.api.services;
    const outputDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-cli-run-'));
    try {
      const id = await startRun('deleted-runs', 'tracked');
      await prisma.run.update({ where: { id }, data: { source: 'CLI', outputDir } });
      await addCheckpoint(id, 1, path.join(outputDir, 'checkpoints', 'epoch-0001'));
      expect(await test.execute(DELETE, { id })).toEqual({ data: { deleteRun: id }, errors: undefined });
      expect(await rowsOf(id)).toEqual({ runs: 0, epochMetrics: 0, batchMetrics: 0, checkpoints: 0, predictions: 0 });
      expect(await fs.readdir(path.join(outputDir, 'checkpoints', 'epoch-0001'))).toEqual(['weights.bin']);
    } finally {
      await fs.rm(outputDir, { recursive: true, force: true });
    }
  });

  it('refuses a QUEUED or RUNNING run with CONFLICT, and keeps it', async () => {
    const queued = await startRun('deleted-runs', 'queued', 'QUEUED');
    const running = await startRun('deleted-runs', 'running', 'RUNNING');
    expect(await errorsOf(DELETE, { id: queued })).toEqual([
      ["Run 'queued' is QUEUED: cancel it with cancelRun first, then delete it.", { code: 'CONFLICT' }],
    ]);
    expect(await errorsOf(DELETE, { id: running })).toEqual([
      ["Run 'running' is RUNNING: cancel it with cancelRun first, then delete it.", { code: 'CONFLICT' }],
    ]);
    expect(await test.api.services.prisma.run.count({ where: { id: { in: [queued, running] } } })).toBe(2);
  });

  it('refuses a run that a model version was promoted from, until the version is deleted', async () => {
    const { artifacts } = test.api.services;
    const id = await startRun('deleted-runs', 'promoted');
    await trainEpoch(id, 1);
    const checkpointId = await trainEpoch(id, 2);
    const promoted = await test.execute<{ promoteCheckpoint: { id: string; version: number } }>(
      `mutation($id: ID!) { promoteCheckpoint(input: { checkpointId: $id }) { id version } }`,
      { id: checkpointId },
    );
    const { id: versionId, version } = promoted.data!.promoteCheckpoint;
    expect(await errorsOf(DELETE, { id })).toEqual([
      [
        `Run 'promoted' cannot be deleted: 1 model version was promoted from its checkpoints ('deleted-runs' ` +
          `v${version} from epoch 2) and records the run it came from. Delete them with deleteModelVersion first, or ` +
          'archive the run with archiveRun to hide it.',
        { code: 'CONFLICT' },
      ],
    ]);
    expect(await rowsOf(id)).toEqual({ runs: 1, epochMetrics: 2, batchMetrics: 4, checkpoints: 2, predictions: 0 });
    expect(await exists(artifacts.resolve(`runs/${id}/checkpoints/epoch-0002/weights.bin`))).toBe(true);

    await test.execute(`mutation($id: ID!) { deleteModelVersion(id: $id) }`, { id: versionId });
    expect(await test.execute(DELETE, { id })).toEqual({ data: { deleteRun: id }, errors: undefined });
    expect(await exists(artifacts.resolve(`runs/${id}`))).toBe(false);
  });

  it('refuses a run that another run resumed from, until that run is deleted', async () => {
    const id = await startRun('deleted-runs', 'parent');
    await trainEpoch(id, 1);
    const resumed = await test.execute<{ resumeRun: { id: string } }>(
      `mutation($input: ResumeRunInput!) { resumeRun(input: $input) { id } }`,
      { input: { runId: id, epochs: 3 } },
    );
    const child = resumed.data!.resumeRun.id;
    expect(await errorsOf(DELETE, { id })).toEqual([
      [
        `Run 'parent' cannot be deleted: run 'parent (resumed from epoch 1)' (${child}) resumed from its checkpoints ` +
          'and continues its history. Delete it first, or archive the run with archiveRun to hide it.',
        { code: 'CONFLICT' },
      ],
    ]);
    expect(await test.execute(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: child })).toEqual({
      data: { cancelRun: { status: 'CANCELLED' } },
      errors: undefined,
    });
    expect(await test.execute(DELETE, { id: child })).toEqual({ data: { deleteRun: child }, errors: undefined });
    expect(await test.execute(DELETE, { id })).toEqual({ data: { deleteRun: id }, errors: undefined });
  });

  it('deletes the rows even when removing the files fails, and reports the files left as an internal error', async () => {
    const { artifacts } = test.api.services;
    const id = await startRun('deleted-runs', 'stuck files');
    await trainEpoch(id, 1);
    vi.spyOn(artifacts, 'remove').mockRejectedValueOnce(new Error('EACCES: permission denied'));
    try {
      expect(await errorsOf(DELETE, { id })).toEqual([['Internal server error', { code: 'INTERNAL_SERVER_ERROR' }]]);
    } finally {
      vi.restoreAllMocks();
    }
    // No row points at files that may be gone: the rows went first, in one transaction.
    expect(await rowsOf(id)).toEqual({ runs: 0, epochMetrics: 0, batchMetrics: 0, checkpoints: 0, predictions: 0 });
    expect(await exists(artifacts.resolve(`runs/${id}/checkpoints/epoch-0001/weights.bin`))).toBe(true);
    expect(test.logs.filter((line) => line.includes(`Run ${id} was deleted`)).map(firstLine)).toEqual([
      `Internal error: Error: Run ${id} was deleted, but removing its files (runs/${id}) from ${artifacts.description} ` +
        'failed; nothing refers to them any more, so they can be removed by hand.',
    ]);
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    expect(await errorsOf(DELETE, { id: 'missing' })).toEqual([
      ["No run with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!;
}
