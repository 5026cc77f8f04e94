// The training worker process as the API and its workers start it: where a run on an image folder caches the decoded
// images (DATA_DIR/cache, never the user's folder).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { datasetCacheDirectory, resolveTrainConfig } from '@resnet-lab/trainer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stripesPng } from '../../test-support/test-api.js';
import type { Dataset } from '../generated/prisma/client.js';
import { DatasetService } from '../services/dataset-service.js';
import { startWorkerProcess } from './worker-process.js';
import type { WorkerMessage } from './worker-protocol.js';

let directory: string;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'training-worker-'));
});
afterEach(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('the training worker', () => {
  it("caches an image folder's decoded images under the cache directory, writing nothing into the folder", async () => {
    const location = path.join(directory, 'datasets', 'stripes');
    for (const className of ['a', 'b']) {
      await fs.mkdir(path.join(location, className), { recursive: true });
      for (const file of ['1.png', '2.png']) await fs.writeFile(path.join(location, className, file), stripesPng(8));
    }
    const cacheDir = path.join(directory, 'cache');
    const dataset = { format: 'IMAGE_FOLDER', location, options: null } as Dataset;
    const config = resolveTrainConfig({
      data: location,
      width: 0.0625,
      epochs: 1,
      batchSize: 2,
      testFraction: 0.5,
      backend: 'wasm',
    });

    const messages: WorkerMessage[] = [];
    const worker = startWorkerProcess((message) => messages.push(message));
    worker.send({
      type: 'train',
      config,
      outDir: path.join(directory, 'run'),
      resumeFrom: null,
      dataset: DatasetService.spec(dataset, cacheDir),
    });
    const exit = await worker.exited;
    expect(messages.at(-1)).toMatchObject({ type: 'trained', result: { status: 'completed' } });
    expect(exit.code).toBe(0);

    expect((await fs.readdir(location, { recursive: true })).sort()).toEqual([
      'a',
      'a/1.png',
      'a/2.png',
      'b',
      'b/1.png',
      'b/2.png',
    ]);
    expect(await fs.readdir(datasetCacheDirectory(cacheDir, location))).toEqual([
      expect.stringMatching(/^image-folder-[0-9a-f]{32}\.bin$/),
    ]);
  }, 120_000);
});
