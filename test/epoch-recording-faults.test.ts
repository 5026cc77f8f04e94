// Fault injection into an epoch's recording: a recorder process (support/record-epoch-with-fault.ts) is killed with
// SIGKILL after each step in turn — every database statement of the epoch's transaction, and every file deletion
// after its commit — then restarted as a worker restarts: the artifact sweep, then the same epoch recorded again.
// After the kill and the sweep, and again after the retry, the database and the files must agree.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DirectoryArtifactStore, RunRecorder, openDatabase, sweepArtifacts, type Database } from '@resnet-lab/api';
import { createTestDatabase } from '@resnet-lab/api/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochEvent } from './support/epoch-event.js';

const root = path.resolve(import.meta.dirname, '..');
const CHILD = path.join(import.meta.dirname, 'support', 'record-epoch-with-fault.ts');

let databaseUrl: string;
let artifactDir: string;
let database: Database;
let store: DirectoryArtifactStore;
let recorder: RunRecorder;
let modelId: string;
let datasetId: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('faults');
  artifactDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-faults-'));
  database = await openDatabase({ dataDir: artifactDir, databaseUrl });
  store = new DirectoryArtifactStore(artifactDir);
  recorder = new RunRecorder(database.prisma, store);
  const model = await database.prisma.model.create({
    data: {
      name: 'faults',
      arch: 'resnet18',
      stem: 'cifar',
      width: 0.125,
      classes: 10,
      inputSize: 32,
      parameterCount: 1n,
      macs: 1n,
    },
  });
  const dataset = await database.prisma.dataset.create({
    data: { name: 'faults', format: 'SYNTHETIC', location: 'synthetic', classNames: ['a', 'b'] },
  });
  modelId = model.id;
  datasetId = dataset.id;
}, 60_000);

afterAll(async () => {
  await database?.close();
  await fs.rm(artifactDir, { recursive: true, force: true });
});

/** Where the trainer writes a run's epoch checkpoint, as a key and as a directory. */
function checkpointOf(runId: string, epoch: number) {
  const key = `runs/${runId}/checkpoints/epoch-${String(epoch).padStart(4, '0')}`;
  return { key, directory: store.resolve(key) };
}

/** What training writes before it reports the epoch. */
async function writeCheckpoint(runId: string, epoch: number): Promise<string> {
  const { directory } = checkpointOf(runId, epoch);
  await fs.mkdir(directory, { recursive: true });
  await fs.writeFile(path.join(directory, 'model.json'), '{}');
  return directory;
}

/** Records an epoch in the child process, killed after step `killAfter` (0: never). */
async function recordInChild(runId: string, epoch: number, directory: string, killAfter: number) {
  return promisify(execFile)(
    process.execPath,
    // tsx as a loader in the same process (its CLI would run a second one), so the kill is the recorder's own.
    ['--import', 'tsx', CHILD, databaseUrl, artifactDir, runId, String(epoch), directory, String(killAfter)],
    { cwd: root },
  ).then(
    ({ stdout }) => ({ killed: false, steps: Number(/steps: (\d+)/.exec(stdout)![1]) }),
    (error: { signal?: string; stderr?: string }) => {
      if (error.signal !== 'SIGKILL') throw new Error(`The recorder failed: ${error.stderr}`, { cause: error });
      return { killed: true, steps: killAfter };
    },
  );
}

/** A run that has recorded epochs 1 and 2 (epoch 1's files pruned, as superseded) and written epoch 3's files. */
async function runAtEpoch3(): Promise<{ runId: string; epoch3: string }> {
  const run = await database.prisma.run.create({
    data: { name: 'faults', modelId, datasetId, config: {}, epochs: 10, outputDir: '', status: 'RUNNING' },
  });
  await database.prisma.run.update({ where: { id: run.id }, data: { outputDir: `runs/${run.id}` } });
  for (const epoch of [1, 2]) await recorder.record(run.id, ...epochEvent(epoch, await writeCheckpoint(run.id, epoch)));
  return { runId: run.id, epoch3: await writeCheckpoint(run.id, 3) };
}

/** The database's view of a run and the files, side by side. */
async function stateOf(runId: string) {
  const metrics = await database.prisma.epochMetric.findMany({ where: { runId }, orderBy: { epoch: 'asc' } });
  const checkpoints = await database.prisma.checkpoint.findMany({ where: { runId }, orderBy: { epoch: 'asc' } });
  const run = await database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
  const onDisk = (await store.list(`runs/${runId}/checkpoints`)).sort();
  return {
    metricEpochs: metrics.map((metric) => metric.epoch),
    checkpointEpochs: checkpoints.map((checkpoint) => checkpoint.epoch),
    claimedFiles: checkpoints.filter((c) => c.prunedAt === null).map((c) => c.location),
    onDisk,
    currentEpoch: run.currentEpoch,
  };
}

describe('recording an epoch, killed between any two steps', () => {
  it('leaves the database and the files in agreement, after the sweep and after the retry', async () => {
    // A whole recording, to count its steps: the transaction's statements, then the pruned files' deletion.
    const { runId: cleanRun, epoch3 } = await runAtEpoch3();
    const { steps } = await recordInChild(cleanRun, 3, epoch3, 0);
    // 9 statements (metric, run read and update, checkpoint, superseded checkpoints read and marked, 3 NOTIFYs),
    // then, after the commit, deleting the superseded epoch 2's files.
    expect(steps).toBe(10);
    expect(await stateOf(cleanRun)).toEqual({
      metricEpochs: [1, 2, 3],
      checkpointEpochs: [1, 2, 3],
      claimedFiles: [checkpointOf(cleanRun, 3).key],
      onDisk: [checkpointOf(cleanRun, 3).key],
      currentEpoch: 3,
    });

    const outcomes: string[] = [];
    for (let killAfter = 1; killAfter <= steps; killAfter++) {
      const { runId, epoch3: directory } = await runAtEpoch3();
      expect(await recordInChild(runId, 3, directory, killAfter)).toEqual({ killed: true, steps: killAfter });

      // The restart: the sweep a worker runs when it starts.
      await database.prisma.run.update({ where: { id: runId }, data: { status: 'QUEUED' } });
      await sweepArtifacts(database.prisma, store);
      const afterCrash = await stateOf(runId);
      // All of the epoch or none of it; every claimed file there, no file unclaimed.
      const committed = afterCrash.metricEpochs.includes(3);
      expect(afterCrash.metricEpochs).toEqual(committed ? [1, 2, 3] : [1, 2]);
      expect(afterCrash.checkpointEpochs).toEqual(committed ? [1, 2, 3] : [1, 2]);
      expect(afterCrash.currentEpoch).toBe(committed ? 3 : 2);
      expect(afterCrash.onDisk).toEqual(afterCrash.claimedFiles);
      outcomes.push(committed ? 'committed' : 'rolled back');

      // The retry: training writes the epoch again and the same event is recorded again.
      await writeCheckpoint(runId, 3);
      await recorder.record(runId, ...epochEvent(3, directory));
      await sweepArtifacts(database.prisma, store);
      expect(await stateOf(runId)).toEqual({
        metricEpochs: [1, 2, 3],
        checkpointEpochs: [1, 2, 3],
        claimedFiles: [checkpointOf(runId, 3).key],
        onDisk: [checkpointOf(runId, 3).key],
        currentEpoch: 3,
      });
    }
    // Kills inside the transaction roll it back; one before the deletion finds the epoch committed and the files of
    // the checkpoint it superseded still there, which the sweep removes.
    expect(outcomes).toEqual([...Array<string>(steps - 1).fill('rolled back'), 'committed']);
  });
});
