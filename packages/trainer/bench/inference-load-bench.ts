// `tsx packages/trainer/bench/inference-load-bench.ts [--checkpoint <dir|file.tar>] [--arch resnet18] [--runs 5]
// [--keep <dir>]`: milliseconds from a checkpoint on disk to a folded InferenceModel, by loadInferenceCheckpoint
// (stored weights folded straight) and by the path it replaces (loadCheckpoint builds the layers model, fromResNet
// folds it, both disposed after), runs alternated, on the backend `auto` picks; and the largest logit difference
// between the two models (0: the same model). Without --checkpoint it saves a random full-width one (with momentum
// buffers, as training saves) in a temporary directory, or in --keep.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildResNet, resolveResNetConfig } from '@resnet-lab/resnet';
import {
  CIFAR10_CLASS_NAMES,
  InferenceModel,
  loadCheckpoint,
  loadInferenceCheckpoint,
  readCheckpointMetadata,
  saveCheckpoint,
  seededRandom,
  useBackend,
} from '@resnet-lab/trainer';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    arch: { type: 'string', default: 'resnet18' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'string' },
  },
});
const runs = Number(values.runs);
const backend = await useBackend('auto');
const temporary = await fs.mkdtemp(path.join(os.tmpdir(), 'inference-load-bench-'));
try {
  const checkpoint = values.checkpoint ?? (await writeRandomCheckpoint(values.keep ?? path.join(temporary, 'ckpt')));
  console.log(`${checkpoint}, ${backend.device}:`);

  const paths = {
    'loadCheckpoint + fromResNet': async () => {
      const loaded = await loadCheckpoint(checkpoint);
      const model = InferenceModel.fromResNet(loaded.model, loaded.metadata.model);
      loaded.model.dispose();
      tf.dispose([...loaded.momentumBuffers.values()]);
      return model;
    },
    loadInferenceCheckpoint: async () => (await loadInferenceCheckpoint(checkpoint)).model,
  };
  const milliseconds = new Map<string, number[]>(Object.keys(paths).map((name) => [name, []]));
  const logits = new Map<string, Float32Array>();
  const { model: config } = await readCheckpointMetadata(checkpoint);
  const image = tf.tidy(() =>
    tf.randomUniform([1, config.inputSize ?? 32, config.inputSize ?? 32, 3], -1, 1, 'float32', 1),
  );
  for (let run = 0; run < runs; run++) {
    for (const [name, load] of Object.entries(paths)) {
      const start = performance.now();
      const model = await load();
      milliseconds.get(name)!.push(performance.now() - start);
      const output = model.predict(image as tf.Tensor4D);
      logits.set(name, output.dataSync() as Float32Array);
      output.dispose();
      model.dispose();
    }
  }
  for (const [name, times] of milliseconds) {
    times.sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(28)} median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, min ` +
        `${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)} (${runs} runs)`,
    );
  }
  const [before, after] = [...logits.values()] as [Float32Array, Float32Array];
  const difference = before.reduce((largest, value, index) => Math.max(largest, Math.abs(value - after[index]!)), 0);
  console.log(`  largest logit difference between the two: ${difference}; tensors left: ${tf.memory().numTensors - 1}`);
} finally {
  await fs.rm(temporary, { recursive: true, force: true });
}

/** A full-width model for CIFAR-10 with random batch-norm statistics, saved as training saves it (momentum buffers included). */
async function writeRandomCheckpoint(directory: string): Promise<string> {
  const config = resolveResNetConfig({ arch: values.arch, classes: 10, inputSize: 32 });
  const model = buildResNet(config, { seed: 0 });
  const random = seededRandom(0);
  for (const weight of model.weights) {
    if (!weight.originalName.includes('moving_')) continue;
    const tensor = tf.tensor1d(Float32Array.from({ length: weight.shape[0]! }, () => 0.5 + random()));
    weight.write(tensor);
    tensor.dispose();
  }
  const momentum = new Map(model.trainableWeights.map((weight) => [weight.originalName, tf.zerosLike(weight.read())]));
  await saveCheckpoint([directory], model, momentum, {
    epoch: 1,
    config: null,
    model: config,
    // CIFAR-10's, so that `resnet-lab eval --data <a CIFAR-10 image folder>` takes the checkpoint.
    classNames: CIFAR10_CLASS_NAMES,
    normalization: null,
    metrics: null,
    history: [],
    bestTestAccuracy: null,
    backend: null,
    savedAt: new Date().toISOString(),
  });
  tf.dispose([...momentum.values()]);
  model.dispose();
  return directory;
}
