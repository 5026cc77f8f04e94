// The train -> eval -> predict workflow through the resnet-lab command line, as a user runs it.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasetCacheDirectory, runCli } from '@resnet-lab/trainer';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-training-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function resnetLab(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

function grayImage(width: number, height: number, value: number): { png: Buffer; jpeg: Buffer } {
  const rgba = Buffer.alloc(width * height * 4, value);
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return { png: PNG.sync.write(png), jpeg: Buffer.from(jpeg.encode({ data: rgba, width, height }, 90).data) };
}

describe('resnet-lab train, eval and predict', () => {
  it('trains, evaluates the checkpoint and predicts PNG and JPEG files', async () => {
    const out = path.join(root, 'run');
    const trained = await resnetLab(
      'train',
      '--data',
      'synthetic',
      '--width',
      '0.0625',
      '--epochs',
      '1',
      '--batch-size',
      '100',
      '--backend',
      'wasm',
      '--out',
      out,
      '--json',
    );
    expect(trained.stderr).toBe('');
    expect(trained.exitCode).toBe(0);
    const events = trained.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; backend: { name: string } });
    expect(events.map((event) => event.kind)).toEqual(['start', ...Array<string>(10).fill('batch'), 'epoch', 'result']);
    expect(events.every((event) => event.backend.name === 'wasm')).toBe(true);

    const evaluated = await resnetLab(
      'eval',
      '--checkpoint',
      path.join(out, 'checkpoints', 'best'),
      '--backend',
      'wasm',
      '--json',
    );
    expect(evaluated.exitCode).toBe(0);
    const evaluation = JSON.parse(evaluated.stdout) as {
      count: number;
      confusionMatrix: number[][];
      perClassAccuracy: unknown[];
    };
    expect(evaluation.count).toBe(200);
    expect(evaluation.confusionMatrix).toHaveLength(10);
    expect(evaluation.confusionMatrix.flat().reduce((total, count) => total + count, 0)).toBe(200);
    expect(evaluation.perClassAccuracy).toHaveLength(10);

    const image = grayImage(50, 40, 180);
    await fs.writeFile(path.join(root, 'gray.png'), image.png);
    await fs.writeFile(path.join(root, 'gray.jpg'), image.jpeg);
    const predicted = await resnetLab(
      'predict',
      '--checkpoint',
      path.join(out, 'checkpoints', 'best'),
      path.join(root, 'gray.png'),
      path.join(root, 'gray.jpg'),
      '--top',
      '2',
      '--json',
    );
    expect(predicted.exitCode).toBe(0);
    const predictions = JSON.parse(predicted.stdout) as {
      source: string;
      top: { probability: number; className: string }[];
    }[];
    expect(predictions.map((prediction) => prediction.source)).toEqual([
      path.join(root, 'gray.png'),
      path.join(root, 'gray.jpg'),
    ]);
    for (const { top } of predictions) {
      expect(top).toHaveLength(2);
      expect(top[0]!.probability).toBeGreaterThanOrEqual(top[1]!.probability);
    }
    // The same gray picture as PNG and as JPEG: near-identical pixels, the same most likely class.
    expect(predictions[0]!.top[0]!.className).toBe(predictions[1]!.top[0]!.className);

    // --resume takes the checkpoint's settings; only --epochs (and the run directory) change.
    const resumed = await resnetLab(
      'train',
      '--resume',
      path.join(out, 'checkpoints', 'last'),
      '--epochs',
      '2',
      '--out',
      path.join(root, 'resumed'),
      '--json',
    );
    expect(resumed.exitCode).toBe(0);
    const resumedEvents = resumed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(resumedEvents[0]).toMatchObject({ kind: 'start', firstEpoch: 2, epochs: 2, batchesPerEpoch: 10 });
    expect(resumedEvents.at(-1)).toMatchObject({ kind: 'result', status: 'completed', epochsCompleted: 2 });
    expect((resumedEvents.at(-1) as { history: unknown[] }).history).toHaveLength(2);

    const corrupt = path.join(root, 'corrupt.png');
    await fs.writeFile(corrupt, grayImage(8, 8, 0).png.subarray(0, 40));
    const rejected = await resnetLab('predict', '--checkpoint', path.join(out, 'checkpoints', 'best'), corrupt);
    expect(rejected.exitCode).toBe(2);
    expect(rejected.stderr).toMatch(/^resnet-lab predict: .*corrupt\.png/);
  }, 120_000);

  it("caches an image folder's decoded images in --cache-dir or the user's cache, never in the folder", async () => {
    const images = path.join(root, 'images');
    for (const [className, value] of [
      ['dark', 20],
      ['light', 230],
    ] as const) {
      await fs.mkdir(path.join(images, className), { recursive: true });
      for (const file of ['1.png', '2.png']) {
        await fs.writeFile(path.join(images, className, file), grayImage(8, 8, value).png);
      }
    }
    const train = (out: string, ...options: string[]) =>
      resnetLab(
        'train',
        '--data',
        images,
        '--width',
        '0.0625',
        '--epochs',
        '1',
        '--batch-size',
        '2',
        '--test-fraction',
        '0.5',
        '--backend',
        'wasm',
        '--json',
        '--out',
        path.join(root, out),
        ...options,
      );
    const cacheFile = [expect.stringMatching(/^image-folder-[0-9a-f]{32}\.bin$/)];

    const cacheDir = path.join(root, 'cache');
    expect(await train('cached-run', '--cache-dir', cacheDir)).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await fs.readdir(datasetCacheDirectory(cacheDir, images))).toEqual(cacheFile);

    // Without --cache-dir: the user's cache, $XDG_CACHE_HOME/resnet-lab (here a temporary one).
    const xdgCacheHome = path.join(root, 'xdg-cache');
    const previous = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = xdgCacheHome;
    try {
      expect(await train('default-cache-run')).toMatchObject({ exitCode: 0, stderr: '' });
    } finally {
      if (previous === undefined) delete process.env['XDG_CACHE_HOME'];
      else process.env['XDG_CACHE_HOME'] = previous;
    }
    expect(await fs.readdir(datasetCacheDirectory(path.join(xdgCacheHome, 'resnet-lab'), images))).toEqual(cacheFile);

    expect((await fs.readdir(images, { recursive: true })).sort()).toEqual([
      'dark',
      'dark/1.png',
      'dark/2.png',
      'light',
      'light/1.png',
      'light/2.png',
    ]);
  }, 120_000);

  it('exits 2 with a clear message for a bad hyperparameter and a wrong dataset layout', async () => {
    const badRate = await resnetLab('train', '--data', 'synthetic', '--lr=-0.1');
    expect(badRate).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'resnet-lab train: Expected learningRate to be a number in (0, 10], got -0.1.\n',
    });

    const flat = path.join(root, 'flat');
    await fs.mkdir(flat);
    await fs.writeFile(path.join(flat, 'image.png'), grayImage(8, 8, 0).png);
    const wrongLayout = await resnetLab(
      'train',
      '--data',
      flat,
      '--backend',
      'wasm',
      '--out',
      path.join(root, 'flat-run'),
    );
    expect(wrongLayout.exitCode).toBe(2);
    expect(wrongLayout.stderr).toMatch(/^resnet-lab train: .*class/);
  }, 120_000);
});
