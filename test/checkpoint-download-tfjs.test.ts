// What a checkpoint download is good for without ResNet Lab's API: the .tar that GET /checkpoints/<id>/download sends
// (the artifact store's tar of the checkpoint directory) loads in the trainer as it is, and once extracted with
// `tar -x` it is a standard TensorFlow.js layers model that plain @tensorflow/tfjs loads, with no ResNet Lab code:
// from the files (the README's snippet, run in a separate Node process) and over HTTP. All give the
// logits of the model that was saved.
import { execFile, execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryArtifactStore } from '@resnet-lab/api';
import { buildResNet, resolveResNetConfig } from '@resnet-lab/resnet';
import { loadCheckpoint, saveCheckpoint, useBackend } from '@resnet-lab/trainer';

const CONFIG = resolveResNetConfig({ arch: 'resnet18', width: 0.0625, classes: 3, inputSize: 16 });
const KEY = 'runs/r/checkpoints/epoch-0004';
/** Where `node -e` resolves '@tensorflow/tfjs' from, as a user's project would. */
const PROJECT = fileURLToPath(new URL('.', import.meta.url));

/**
 * The README's Node.js snippet (its `js` block after "A downloaded checkpoint"), as written but for the folder, which
 * comes as argv[1]: plain tfjs, no ResNet Lab code.
 */
async function readmeSnippet(): Promise<string> {
  const readme = await fs.readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('**A downloaded checkpoint.**'));
  const snippet = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const folderLine = /^const folder = 'epoch-0004';.*$/m;
  expect(snippet).toMatch(folderLine);
  return snippet.replace(folderLine, 'const folder = process.argv[1];');
}
/** The same over HTTP, as a browser loads it: argv[1] is model.json's URL. */
const HTTP_SNIPPET = `
import * as tf from '@tensorflow/tfjs';
const model = await tf.loadLayersModel(process.argv[1]);
`;
/** Appended to each: the logits of a fixed image, on the last line of the output. */
const PRINT_LOGITS = `
const image = tf.tidy(() => tf.range(0, ${CONFIG.inputSize * CONFIG.inputSize * 3}).reshape([1, ${CONFIG.inputSize}, ${CONFIG.inputSize}, 3]).mod(17).div(17));
console.log('\\n' + JSON.stringify(Array.from(model.predict(image).dataSync())));
`;

let root: string;
let archive: string;
let extracted: string;
let expectedLogits: number[];
let server: http.Server;

beforeAll(async () => {
  await useBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-download-tfjs-'));
  const store = new DirectoryArtifactStore(path.join(root, 'artifacts'));
  const model = buildResNet(CONFIG, { seed: 7 });
  // Batch-norm statistics away from their initial 0 and 1, so that a loader that dropped them would show.
  for (const weight of model.weights) {
    if (weight.name.includes('moving_'))
      weight.write(tf.randomUniform(weight.shape as number[], 0.5, 1.5, 'float32', 3));
  }
  const momentum = new Map(model.trainableWeights.map((weight) => [weight.originalName, tf.onesLike(weight.read())]));
  await saveCheckpoint([store.resolve(KEY)], model, momentum, {
    epoch: 4,
    config: null,
    model: CONFIG,
    classNames: ['a', 'b', 'c'],
    normalization: null,
    metrics: null,
    history: [],
    bestTestAccuracy: null,
    backend: null,
    savedAt: '2026-01-02T03:04:05.000Z',
  });
  momentum.forEach((tensor) => tensor.dispose());
  expectedLogits = logitsOf(model);
  model.dispose();

  // The bytes that GET /checkpoints/<id>/download sends for this checkpoint.
  archive = path.join(root, 'checkpoint-c-epoch-0004.tar');
  await pipeline(store.tar(KEY), createWriteStream(archive));
  extracted = path.join(root, 'extracted');
  await fs.mkdir(extracted);
  execFileSync('tar', ['-xf', archive, '-C', extracted]);

  server = http.createServer((request, response) => {
    const file = path.join(extracted, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    createReadStream(file)
      .on('error', () => response.writeHead(404).end())
      .pipe(response);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  server?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

function image(): tf.Tensor {
  const size = CONFIG.inputSize;
  return tf.tidy(() =>
    tf
      .range(0, size * size * 3)
      .reshape([1, size, size, 3])
      .mod(17)
      .div(17),
  );
}

function logitsOf(model: tf.LayersModel): number[] {
  return tf.tidy(() => Array.from((model.predict(image()) as tf.Tensor).dataSync()));
}

/** Runs `script` with Node as an ES module from the test folder, as a user's own project would; the last line. */
async function runNode(script: string, argument: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', script + PRINT_LOGITS, argument],
    { cwd: PROJECT },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 5));
}

describe('a downloaded checkpoint archive', () => {
  it('holds model.json and its weights file under a folder named after the checkpoint', () => {
    const entries = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n');
    expect(entries).toEqual([
      'epoch-0004/model.json',
      expect.stringMatching(/^epoch-0004\/weights\.[0-9a-f]{16}\.bin$/),
    ]);
  });

  it('loads in the trainer as it is, with its metadata and momentum buffers', async () => {
    const checkpoint = await loadCheckpoint(archive);
    expect(logitsOf(checkpoint.model)).toEqual(expectedLogits);
    expect([checkpoint.metadata.epoch, checkpoint.metadata.classNames]).toEqual([4, ['a', 'b', 'c']]);
    expect(checkpoint.momentumBuffers.size).toBe(checkpoint.model.trainableWeights.length);
    checkpoint.model.dispose();
    checkpoint.momentumBuffers.forEach((tensor) => tensor.dispose());
  });

  it('loads, extracted, in plain TensorFlow.js from its files with the README snippet', async () => {
    const logits = await runNode(await readmeSnippet(), path.join(extracted, 'epoch-0004'));
    expect(logits).toHaveLength(3);
    expectClose(logits, expectedLogits);
  });

  it('loads, extracted, in plain TensorFlow.js over HTTP, as a browser would', async () => {
    const { port } = server.address() as AddressInfo;
    expectClose(await runNode(HTTP_SNIPPET, `http://127.0.0.1:${port}/epoch-0004/model.json`), expectedLogits);
  });
});
