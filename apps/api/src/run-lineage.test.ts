// Run.lineage, Run.lineageMetrics and Run.lineageBatchMetrics through the whole API: a run resumed from a run
// resumed from a run sees its ancestors oldest first and their metrics cut at each checkpoint's epoch, then its own;
// a run that was not resumed sees only its own; cycles and overlong chains end; maxPoints out of range is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';
import { MAX_LINEAGE_DEPTH } from './services/run-lineage.js';

let test: TestApi;
beforeAll(async () => {
  test = await startTestApi();
  await test.api.services.models.create({ name: 'lineage', arch: 'resnet18', width: 0.0625 });
});
afterAll(async () => {
  await test?.close();
});

/** Batches per epoch of every run here. */
const BATCHES = 2;

const LINEAGE = `
  query($id: ID!, $maxPoints: Int!) {
    run(id: $id) {
      name
      lineage { name }
      lineageMetrics { run { name } inherited metric { epoch trainLoss testAccuracy } }
      lineageBatchMetrics(maxPoints: $maxPoints) { run { name } inherited metric { epoch batch step loss } }
    }
  }`;

async function data<Data>(query: string, variables: Record<string, unknown>): Promise<Data> {
  const result = await test.execute<Data>(query, variables);
  if (!result.data) throw new Error(`Expected data, got ${JSON.stringify(result.errors)}.`);
  return result.data;
}

async function startRun(name: string, epochs: number): Promise<string> {
  const result = await data<{ startRun: { id: string } }>(
    `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`,
    { input: { modelName: 'lineage', datasetName: 'synthetic', name, epochs } },
  );
  return result.startRun.id;
}

async function resumeRun(runId: string, checkpointId: string, epochs: number): Promise<string> {
  const result = await data<{ resumeRun: { id: string } }>(
    `mutation($input: ResumeRunInput!) { resumeRun(input: $input) { id } }`,
    { input: { runId, checkpointId, epochs } },
  );
  return result.resumeRun.id;
}

/**
 * Records that the run trained epochs `first` to `last` and ended COMPLETED: per epoch a metric whose train loss is
 * `base + epoch` and test accuracy `epoch / 10`, a checkpoint, and BATCHES batches whose loss is `base + step / 10`.
 * Returns the checkpoint ids by epoch.
 */
async function train(runId: string, base: number, first: number, last: number): Promise<Map<number, string>> {
  const { prisma } = test.api.services;
  const checkpoints = new Map<number, string>();
  for (let epoch = first; epoch <= last; epoch++) {
    await prisma.epochMetric.create({
      data: {
        runId,
        epoch,
        trainLoss: base + epoch,
        trainAccuracy: 0.5,
        testLoss: 1,
        testAccuracy: epoch / 10,
        learningRate: 0.1,
        durationSeconds: 1,
        imagesPerSecond: 100,
      },
    });
    for (let batch = 1; batch <= BATCHES; batch++) {
      const step = (epoch - 1) * BATCHES + batch;
      await prisma.batchMetric.create({
        data: { runId, step, epoch, batch, loss: base + step / 10, accuracy: 0.5, learningRate: 0.1 },
      });
    }
    const checkpoint = await prisma.checkpoint.create({
      data: { runId, epoch, sizeBytes: 1n, sha256: '0'.repeat(64), location: `runs/${runId}/epoch-${epoch}` },
    });
    checkpoints.set(epoch, checkpoint.id);
  }
  await prisma.run.update({ where: { id: runId }, data: { status: 'COMPLETED', currentEpoch: last } });
  return checkpoints;
}

function epoch(run: string, inherited: boolean, number: number, trainLoss: number) {
  return { run: { name: run }, inherited, metric: { epoch: number, trainLoss, testAccuracy: number / 10 } };
}

/** Batch `step` of the run whose batch losses are `base + step / 10`, as train records it. */
function batch(run: string, inherited: boolean, base: number, step: number) {
  const number = Math.ceil(step / BATCHES);
  return {
    run: { name: run },
    inherited,
    metric: { epoch: number, batch: step - (number - 1) * BATCHES, step, loss: base + step / 10 },
  };
}

describe('a run resumed from a run resumed from a run', () => {
  // first trains epochs 1-3; second resumes from its epoch 2 and trains 3-5; third resumes from epoch 4 of second
  // and trains 5-6. The third continues first's epochs 1-2 and second's 3-4.
  const FIRST = 'first';
  const SECOND = 'first (resumed from epoch 2)';
  const THIRD = 'first (resumed from epoch 2) (resumed from epoch 4)';
  let firstId: string;
  let secondId: string;
  let thirdId: string;
  beforeAll(async () => {
    firstId = await startRun(FIRST, 3);
    const firstCheckpoints = await train(firstId, 10, 1, 3);
    secondId = await resumeRun(firstId, firstCheckpoints.get(2)!, 5);
    const secondCheckpoints = await train(secondId, 20, 3, 5);
    thirdId = await resumeRun(secondId, secondCheckpoints.get(4)!, 6);
    await train(thirdId, 30, 5, 6);
  });

  it('has its ancestors oldest first, their epochs up to each checkpoint, then its own', async () => {
    expect(await test.execute(LINEAGE, { id: thirdId, maxPoints: 1000 })).toEqual({
      data: {
        run: {
          name: THIRD,
          lineage: [{ name: FIRST }, { name: SECOND }],
          lineageMetrics: [
            epoch(FIRST, true, 1, 11),
            epoch(FIRST, true, 2, 12),
            epoch(SECOND, true, 3, 23),
            epoch(SECOND, true, 4, 24),
            epoch(THIRD, false, 5, 35),
            epoch(THIRD, false, 6, 36),
          ],
          lineageBatchMetrics: [
            batch(FIRST, true, 10, 1),
            batch(FIRST, true, 10, 2),
            batch(FIRST, true, 10, 3),
            batch(FIRST, true, 10, 4),
            batch(SECOND, true, 20, 5),
            batch(SECOND, true, 20, 6),
            batch(SECOND, true, 20, 7),
            batch(SECOND, true, 20, 8),
            batch(THIRD, false, 30, 9),
            batch(THIRD, false, 30, 10),
            batch(THIRD, false, 30, 11),
            batch(THIRD, false, 30, 12),
          ],
        },
      },
      errors: undefined,
    });
  });

  it('thins the batches of the whole lineage together, keeping the first and the last', async () => {
    // 12 batches to 4 points: rows 0, 4, 8 and 11, where floor(row * 3 / 11) first takes 0, 1, 2 and 3.
    const result = await data<{ run: { lineageBatchMetrics: unknown[] } }>(LINEAGE, { id: thirdId, maxPoints: 4 });
    expect(result.run.lineageBatchMetrics).toEqual([
      batch(FIRST, true, 10, 1),
      batch(SECOND, true, 20, 5),
      batch(THIRD, false, 30, 9),
      batch(THIRD, false, 30, 12),
    ]);
  });

  it('has the middle run continue only the first', async () => {
    const result = await data<{ run: Record<string, unknown> }>(LINEAGE, { id: secondId, maxPoints: 3 });
    expect(result.run).toEqual({
      name: SECOND,
      lineage: [{ name: FIRST }],
      lineageMetrics: [
        epoch(FIRST, true, 1, 11),
        epoch(FIRST, true, 2, 12),
        epoch(SECOND, false, 3, 23),
        epoch(SECOND, false, 4, 24),
        epoch(SECOND, false, 5, 25),
      ],
      // 10 batches to 3 points: rows 0, 5 and 9.
      lineageBatchMetrics: [batch(FIRST, true, 10, 1), batch(SECOND, false, 20, 6), batch(SECOND, false, 20, 10)],
    });
  });

  it('gives a run that was not resumed its own metrics, and its batches as batchMetrics thins them', async () => {
    const result = await data<{
      run: { lineage: unknown[]; lineageMetrics: unknown[]; lineageBatchMetrics: { metric: unknown }[] };
    }>(LINEAGE, { id: firstId, maxPoints: 3 });
    expect(result.run).toEqual({
      name: FIRST,
      lineage: [],
      lineageMetrics: [epoch(FIRST, false, 1, 11), epoch(FIRST, false, 2, 12), epoch(FIRST, false, 3, 13)],
      // 6 batches to 3 points: rows 0, 3 and 5.
      lineageBatchMetrics: [batch(FIRST, false, 10, 1), batch(FIRST, false, 10, 4), batch(FIRST, false, 10, 6)],
    });
    const own = await data<{ run: { batchMetrics: unknown[] } }>(
      `query($id: ID!) { run(id: $id) { batchMetrics(maxPoints: 3) { epoch batch step loss } } }`,
      { id: firstId },
    );
    expect(result.run.lineageBatchMetrics.map((point) => point.metric)).toEqual(own.run.batchMetrics);
  });

  it('refuses maxPoints out of 1 to 5000 with BAD_USER_INPUT', async () => {
    for (const maxPoints of [0, 5001]) {
      const result = await test.execute(LINEAGE, { id: thirdId, maxPoints });
      expect(result.errors?.map((error) => [error.message, error.extensions, error.path])).toEqual([
        [
          `Expected maxPoints to be from 1 to 5000, got ${maxPoints}.`,
          { code: 'BAD_USER_INPUT', field: 'maxPoints', value: maxPoints },
          ['run', 'lineageBatchMetrics'],
        ],
      ]);
    }
  });
});

describe('a lineage that resumeRun cannot make', () => {
  it('ends a cycle at the first run it would visit again', async () => {
    // Written directly: each run resumed from the other's checkpoint.
    const { prisma } = test.api.services;
    const oneId = await startRun('one', 2);
    const twoId = await startRun('two', 2);
    const oneCheckpoints = await train(oneId, 40, 1, 2);
    const twoCheckpoints = await train(twoId, 50, 1, 2);
    await prisma.run.update({ where: { id: oneId }, data: { resumedFromCheckpointId: twoCheckpoints.get(1)! } });
    await prisma.run.update({ where: { id: twoId }, data: { resumedFromCheckpointId: oneCheckpoints.get(1)! } });
    const result = await data<{ run: Record<string, unknown> }>(LINEAGE, { id: oneId, maxPoints: 1 });
    expect(result.run).toEqual({
      name: 'one',
      lineage: [{ name: 'two' }],
      lineageMetrics: [epoch('two', true, 1, 51), epoch('one', false, 1, 41), epoch('one', false, 2, 42)],
      lineageBatchMetrics: [batch('two', true, 50, 1)],
    });
  });

  it(`goes back at most ${MAX_LINEAGE_DEPTH} runs, the nearest ones`, async () => {
    // A chain of MAX_LINEAGE_DEPTH + 2 runs, each resumed from epoch 1 of the one before.
    const { prisma } = test.api.services;
    const template = await prisma.run.findUniqueOrThrow({ where: { id: await startRun('chain 0', 1) } });
    let previous = template;
    for (let index = 1; index <= MAX_LINEAGE_DEPTH + 1; index++) {
      const checkpoint = await prisma.checkpoint.create({
        data: { runId: previous.id, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: `chain-${index}` },
      });
      previous = await prisma.run.create({
        data: {
          name: `chain ${index}`,
          modelId: template.modelId,
          datasetId: template.datasetId,
          config: {},
          epochs: 2,
          outputDir: '',
          resumedFromCheckpointId: checkpoint.id,
        },
      });
    }
    const result = await data<{ run: { lineage: { name: string }[] } }>(
      `query($id: ID!) { run(id: $id) { lineage { name } } }`,
      { id: previous.id },
    );
    expect(result.run.lineage.map((run) => run.name)).toEqual(
      Array.from({ length: MAX_LINEAGE_DEPTH }, (_, index) => `chain ${index + 1}`),
    );
  });
});
