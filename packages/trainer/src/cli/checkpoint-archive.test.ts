// `resnet-lab eval` and `predict` given a checkpoint as a tar archive (the API's download, or `tar -cf` of the
// directory) answer exactly what they answer given the directory, and leave nothing extracted behind.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageFolder } from '../../test-support/index.js';
import { loadCheckpoint } from '../training/checkpoint.js';
import { runCli } from './run-cli.js';

const CLASSES = ['cat', 'dog'];
let root: string;
let data: string;
let images: string[];
let checkpoint: string;
/** The archives, by how they were made. */
let archives: Record<'download' | 'flat' | 'gzip', string>;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-archive-'));
  data = path.join(root, 'data');
  images = await writeImageFolder(data, { classNames: CLASSES, perClass: 5 });
  const out = path.join(root, 'run');
  const trained = await resnetLab(
    'train',
    ...['--data', data, '--width', '0.0625', '--epochs', '1', '--batch-size', '8', '--backend', 'wasm'],
    ...['--cache-dir', path.join(root, 'cache'), '--out', out, '--json'],
  );
  expect(trained.exitCode).toBe(0);
  checkpoint = path.join(out, 'checkpoints', 'last');
  archives = {
    // As GET /checkpoints/<id>/download makes it: the files only, under a top folder named after the directory, in
    // ustar headers.
    download: path.join(root, 'checkpoint-download.tar'),
    // As `tar -cf x.tar -C <dir> .` makes it: ./model.json at the top, GNU headers.
    flat: path.join(root, 'flat.tar'),
    gzip: path.join(root, 'checkpoint.tar.gz'),
  };
  const files = (await fs.readdir(checkpoint)).sort().map((file) => `last/${file}`);
  execFileSync('tar', ['--format=ustar', '-cf', archives.download, '-C', path.dirname(checkpoint), ...files]);
  execFileSync('tar', ['-cf', archives.flat, '-C', checkpoint, '.']);
  execFileSync('tar', ['-czf', archives.gzip, '-C', path.dirname(checkpoint), 'last']);
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

function evaluate(from: string) {
  return resnetLab(
    'eval',
    ...['--checkpoint', from, '--data', data, '--split', 'all', '--backend', 'wasm'],
    ...['--cache-dir', path.join(root, 'cache'), '--json'],
  );
}

function predict(from: string) {
  return resnetLab(
    'predict',
    '--checkpoint',
    from,
    images[0]!,
    images[7]!,
    '--top',
    '2',
    '--backend',
    'wasm',
    '--json',
  );
}

describe('a checkpoint given as a tar archive', () => {
  it('is what the archives hold: the directory under a top folder, or at the top', () => {
    const list = (archive: string, ...flags: string[]) =>
      execFileSync('tar', ['-t', ...flags, '-f', archive], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .sort();
    expect(list(archives.download)).toEqual([
      'last/model.json',
      expect.stringMatching(/^last\/weights\.[0-9a-f]{16}\.bin$/),
    ]);
    expect(list(archives.flat)).toEqual([
      './',
      './model.json',
      expect.stringMatching(/^\.\/weights\.[0-9a-f]{16}\.bin$/),
    ]);
  });

  it.each(['download', 'flat', 'gzip'] as const)(
    'gives eval the same evaluation as the directory (%s archive)',
    async (kind) => {
      const fromDirectory = await evaluate(checkpoint);
      expect(fromDirectory.exitCode).toBe(0);
      const evaluation = JSON.parse(fromDirectory.stdout) as { count: number; split: string };
      expect([evaluation.count, evaluation.split]).toEqual([10, 'all']);
      expect(await evaluate(archives[kind])).toEqual(fromDirectory);
    },
  );

  it.each(['download', 'flat', 'gzip'] as const)(
    'gives predict the same top classes and probabilities as the directory (%s archive)',
    async (kind) => {
      const fromDirectory = await predict(checkpoint);
      expect(fromDirectory.exitCode).toBe(0);
      const predictions = JSON.parse(fromDirectory.stdout) as { source: string; top: unknown[] }[];
      expect(predictions.map((prediction) => [prediction.source, prediction.top.length])).toEqual([
        [images[0], 2],
        [images[7], 2],
      ]);
      expect(await predict(archives[kind])).toEqual(fromDirectory);
    },
  );

  it('loads with the same metadata, weights and momentum buffers, and extracts nothing', async () => {
    const before = await fs.readdir(root);
    const fromDirectory = await loadCheckpoint(checkpoint);
    const fromArchive = await loadCheckpoint(archives.download);
    expect(fromArchive.metadata).toEqual(fromDirectory.metadata);
    expect(fromArchive.model.getWeights().map((weight) => Array.from(weight.dataSync()))).toEqual(
      fromDirectory.model.getWeights().map((weight) => Array.from(weight.dataSync())),
    );
    expect([...fromArchive.momentumBuffers.keys()]).toEqual([...fromDirectory.momentumBuffers.keys()]);
    expect(fromArchive.momentumBuffers.size).toBe(fromDirectory.model.trainableWeights.length);
    for (const [name, buffer] of fromDirectory.momentumBuffers) {
      expect(Array.from(fromArchive.momentumBuffers.get(name)!.dataSync())).toEqual(Array.from(buffer.dataSync()));
    }
    for (const loaded of [fromDirectory, fromArchive]) {
      loaded.model.dispose();
      loaded.momentumBuffers.forEach((tensor) => tensor.dispose());
    }
    expect(await fs.readdir(root)).toEqual(before);
  });

  it('exits 2 naming the file when it is not a tar archive', async () => {
    const notArchive = images[0]!;
    expect(await predict(notArchive)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        `resnet-lab predict: ${notArchive} is neither a model directory nor a tar archive of one (no ustar ` +
        "header): give the checkpoint's directory or the .tar its download gives.\n",
    });
  });
});
