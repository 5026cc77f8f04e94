// Real-data check: a small ResNet trained on a few thousand real CIFAR-10 training images (../shared/datasets)
// classifies held-out images clearly above chance (10%).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { train } from '@resnet-lab/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const archive = path.resolve(import.meta.dirname, '../../shared/datasets/cifar10-train-jpg.tar.gz');
let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'real-cifar10-'));
  // The first 250 images of each class: 2,500 JPEGs of the 50,000.
  await promisify(execFile)('tar', [
    '-xzf',
    archive,
    '-C',
    root,
    '--wildcards',
    'train/*/00[0-9]?.jpg',
    'train/*/01[0-9]?.jpg',
    'train/*/02[0-4]?.jpg',
  ]);
}, 120_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('training on real CIFAR-10 images', () => {
  it('reaches clearly above chance on held-out images', async () => {
    const result = await train(
      {
        data: root,
        arch: 'resnet18',
        width: 1 / 8,
        epochs: 3,
        batchSize: 64,
        learningRate: 0.05,
        schedule: 'cosine',
        testFraction: 0.2,
        seed: 0,
        backend: 'wasm',
      },
      { outDir: path.join(root, 'run') },
    );
    expect(result.status).toBe('completed');
    // 500 held-out images (the last 50 of each class); chance is 0.1.
    const last = result.history.at(-1)!;
    expect(last.testAccuracy).toBeGreaterThan(0.25);
  }, 600_000);
});
