// Step-for-step parity with PyTorch (issue 14): pytorch/parity.py trains the seed's ResNet18 for 20 SGD steps on
// fixed batches; resnet-lab imports the same initial weights, trains on the same batches with its own trainStep and
// SgdOptimizer on every backend this machine has, and must land where PyTorch did. Then the same comparison against
// PyTorch runs changed one way each (weight decay, momentum, batch norm, padding, shortcut) must fail.
//
// Why seed 3 at learning rate 0.005 (pytorch/parity.py's SETTINGS): a ReLU input that float rounding puts on the
// other side of zero changes that step's gradient by 1e-3 or more, and 20 steps of training amplify it past every
// tolerance below. Whether that happens within 20 steps depends on the seed: PyTorch itself in float32 and in float64
// leaves 1e-3 apart on most seeds. Seed 3 is one whose run float64, and initial weights perturbed by 1e-7, follow to
// within 1e-6 (losses) and 1e-5 (weights); resnet-lab stays as close on every backend.
import { spawnSync, execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BATCH_NORM_EPSILON,
  BATCH_NORM_MOMENTUM,
  buildResNet,
  exportStateDict,
  loadStateDict,
  readSafetensors,
  type SafetensorsTensor,
} from '@resnet-lab/resnet';
import {
  CONVOLUTION_VARIABLE,
  SgdOptimizer,
  availableBackends,
  oneDnnConvolutionImplementation,
  namedParameters,
  trainStep,
  useBackend,
  type BackendName,
} from '@resnet-lab/trainer';
import { relativeDifference } from '@resnet-lab/trainer/test-support';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../pytorch/parity.py', import.meta.url));
const torchReady = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!torchReady) {
  console.warn(`Skipping the PyTorch parity test: ${PYTHON} cannot import torch (apt-get install python3-torch).`);
}

/** The tolerances, by check. */
const TOLERANCES = {
  'first three losses': 1e-5,
  'all twenty losses': 1e-3,
  weights: 1e-3,
  'running statistics': 1e-3,
  'eval logits': 1e-4,
} as const;
type Check = keyof typeof TOLERANCES;
const CHECKS = Object.keys(TOLERANCES) as Check[];

const MUTATIONS = [
  'weight-decay',
  'momentum',
  'bn-momentum',
  'bn-epsilon',
  'bn-variance',
  'padding',
  'shortcut',
] as const;
type Mutation = (typeof MUTATIONS)[number];

/** parity.json's `settings`, as pytorch/parity.py's SETTINGS. */
interface ParitySettings {
  readonly arch: string;
  readonly stem: string;
  readonly width: number;
  readonly classes: number;
  readonly input_size: number;
  readonly steps: number;
  readonly batch_size: number;
  readonly learning_rate: number;
  readonly momentum: number;
  readonly weight_decay: number;
  readonly bn_momentum: number;
  readonly bn_epsilon: number;
}

/** What pytorch/parity.py wrote into one directory. */
interface Reference {
  readonly settings: ParitySettings;
  readonly losses: readonly number[];
  readonly initial: Map<string, SafetensorsTensor>;
  readonly final: Map<string, SafetensorsTensor>;
  /** [steps, batch, size, size, 3] */
  readonly images: Float32Array;
  /** [steps, batch] */
  readonly labels: Int32Array;
  /** [batch, size, size, 3] */
  readonly evalImages: Float32Array;
  /** [batch, classes]: PyTorch's final weights in eval mode on evalImages. */
  readonly logits: Float32Array;
  /** The raw initial and batch files, to show that mutated runs start from the same place. */
  readonly inputBytes: { readonly initial: Uint8Array; readonly batches: Uint8Array };
}

/** resnet-lab's run on the reference's initial weights and batches. */
interface Run {
  readonly losses: number[];
  /** PyTorch keys and layouts. */
  readonly final: Map<string, SafetensorsTensor>;
}

/** Each check's measured value: relative differences (the largest over steps or tensors) and where. */
type Report = Record<Check, { readonly value: number; readonly where: string }>;

async function runParity(outDir: string, mutation?: Mutation): Promise<Reference> {
  const args = [SCRIPT, outDir, ...(mutation === undefined ? [] : ['--mutate', mutation])];
  await promisify(execFile)(PYTHON, args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  const read = async (name: string) => new Uint8Array(await fs.readFile(path.join(outDir, name)));
  const [initialBytes, batchesBytes, finalBytes, logitsBytes, json] = await Promise.all([
    read('initial.safetensors'),
    read('batches.safetensors'),
    read('final.safetensors'),
    read('logits.safetensors'),
    fs.readFile(path.join(outDir, 'parity.json'), 'utf8'),
  ]);
  const report = JSON.parse(json) as { settings: ParitySettings; losses: number[] };
  const batches = readSafetensors(batchesBytes).tensors;
  return {
    settings: report.settings,
    losses: report.losses,
    initial: readSafetensors(initialBytes).tensors,
    final: readSafetensors(finalBytes).tensors,
    images: float32Of(batches.get('images')),
    labels: int32Of(batches.get('labels')),
    evalImages: float32Of(batches.get('eval_images')),
    logits: float32Of(readSafetensors(logitsBytes).tensors.get('logits')),
    inputBytes: { initial: initialBytes, batches: batchesBytes },
  };
}

function float32Of(tensor: SafetensorsTensor | undefined): Float32Array {
  if (tensor?.dtype !== 'F32') throw new Error(`Expected an F32 tensor, got ${tensor?.dtype ?? 'none'}.`);
  return new Float32Array(Uint8Array.from(tensor.data).buffer);
}

function int32Of(tensor: SafetensorsTensor | undefined): Int32Array {
  if (tensor?.dtype !== 'I32') throw new Error(`Expected an I32 tensor, got ${tensor?.dtype ?? 'none'}.`);
  return new Int32Array(Uint8Array.from(tensor.data).buffer);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function buildFor(settings: ParitySettings): tf.LayersModel {
  return buildResNet({
    arch: settings.arch,
    stem: settings.stem,
    width: settings.width,
    classes: settings.classes,
    inputSize: settings.input_size,
  });
}

/** Trains from the reference's initial weights on its batches with the trainer's step and optimizer. */
async function trainLikeReference(reference: Reference): Promise<Run> {
  const { settings } = reference;
  const model = buildFor(settings);
  loadStateDict(model, reference.initial);
  const optimizer = new SgdOptimizer({
    momentum: settings.momentum,
    weightDecay: settings.weight_decay,
    nesterov: false,
  });
  const parameters = namedParameters(model);
  const batch = settings.batch_size;
  const pixelsPerBatch = batch * settings.input_size * settings.input_size * 3;
  const losses: number[] = [];
  for (let step = 0; step < settings.steps; step++) {
    const { loss } = await trainStep(model, parameters, optimizer, {
      pixels: reference.images.subarray(step * pixelsPerBatch, (step + 1) * pixelsPerBatch),
      labels: reference.labels.subarray(step * batch, (step + 1) * batch),
      size: settings.input_size,
      classes: settings.classes,
      learningRate: settings.learning_rate,
    });
    losses.push(loss);
  }
  const final = exportStateDict(model);
  optimizer.dispose();
  model.dispose();
  return { losses, final };
}

/** resnet-lab's eval-mode logits for PyTorch's final weights, imported. */
function logitsOfImportedFinal(reference: Reference): Float32Array {
  const { settings } = reference;
  const model = buildFor(settings);
  loadStateDict(model, reference.final);
  const size = settings.input_size;
  const logits = tf.tidy(() => {
    const images = tf.tensor4d(reference.evalImages, [settings.batch_size, size, size, 3]);
    return (model.predict(images) as tf.Tensor).dataSync() as Float32Array;
  });
  model.dispose();
  return logits;
}

function compare(reference: Reference, run: Run, logits: Float32Array): Report {
  const lossDifferences = run.losses.map(
    (loss, step) => Math.abs(loss - reference.losses[step]!) / reference.losses[step]!,
  );
  const largestLoss = (steps: number[]) => {
    const worst = steps.reduce((a, b) => (lossDifferences[b]! > lossDifferences[a]! ? b : a));
    return { value: lossDifferences[worst]!, where: `step ${worst}` };
  };
  const largestTensor = (isRunning: boolean) => {
    let worst = { value: 0, where: '' };
    for (const [key, expected] of reference.final) {
      if (key.endsWith('num_batches_tracked') || /running_(mean|var)$/.test(key) !== isRunning) continue;
      const actual = run.final.get(key);
      if (actual === undefined) throw new Error(`resnet-lab's state dict lacks '${key}'.`);
      const value = relativeDifferenceOrInfinity(float32Of(actual), float32Of(expected));
      if (!(value <= worst.value)) worst = { value, where: key };
    }
    return worst;
  };
  return {
    'first three losses': largestLoss([0, 1, 2]),
    'all twenty losses': largestLoss(run.losses.map((_, step) => step)),
    weights: largestTensor(false),
    'running statistics': largestTensor(true),
    'eval logits': { value: relativeDifference(logits, reference.logits), where: 'eval batch' },
  };
}

/** relativeDifference, with 0 for two all-zero tensors and Infinity for any other against an all-zero one. */
function relativeDifferenceOrInfinity(actual: Float32Array, expected: Float32Array): number {
  if (expected.some((value) => value !== 0)) return relativeDifference(actual, expected);
  return actual.every((value) => value === 0) ? 0 : Infinity;
}

function failedChecks(report: Report): Check[] {
  return CHECKS.filter((check) => !(report[check].value <= TOLERANCES[check]));
}

function formatReport(report: Report): string {
  return CHECKS.map((check) => `${check} ${report[check].value.toExponential(1)} (${report[check].where})`).join(', ');
}

/**
 * A backend as the trainer offers it; wasm with or without oneDNN's kernels (RESNET_LAB_ONEDNN=0 turns them off), and
 * with oneDNN's convolutions by the algorithm RESNET_LAB_CONVOLUTION names ('auto' unless given).
 */
interface BackendCase {
  readonly label: string;
  readonly backend: BackendName;
  readonly oneDnn: boolean;
  readonly convolution?: 'winograd';
}

const ONEDNN_VARIABLE = 'RESNET_LAB_ONEDNN';
const originalEnv = {
  [ONEDNN_VARIABLE]: process.env[ONEDNN_VARIABLE],
  [CONVOLUTION_VARIABLE]: process.env[CONVOLUTION_VARIABLE],
};

async function activate(backendCase: BackendCase): Promise<string> {
  if (backendCase.backend === 'wasm') {
    process.env[ONEDNN_VARIABLE] = backendCase.oneDnn ? '1' : '0';
    process.env[CONVOLUTION_VARIABLE] = backendCase.convolution ?? 'auto';
  }
  const { device } = await useBackend(backendCase.backend);
  return device;
}

/** Every backend here: wasm with oneDNN's kernels where the addon is built, wasm without, cpu, and tensorflow. */
async function backendCases(): Promise<BackendCase[]> {
  if (!torchReady) return [];
  const available = await availableBackends();
  const cases: BackendCase[] = [];
  if (available.includes('wasm')) {
    const withOneDnn: BackendCase = { label: 'wasm with oneDNN kernels', backend: 'wasm', oneDnn: true };
    if ((await activate(withOneDnn)).includes('oneDNN')) {
      cases.push(withOneDnn);
      // This run's ResNet is too small for 'auto' to take Winograd's algorithm (batch 4, at most 4x4 tiles of 4x4 in
      // layer3); ResNet18 at batch 32 takes it for every 3x3 stride-1 convolution. Here it computes layer3's and
      // layer4's (16 and 32 channels), forward and both gradients, for 20 steps.
      cases.push({
        ...withOneDnn,
        label: "wasm with oneDNN kernels, Winograd's convolutions",
        convolution: 'winograd',
      });
    }
    cases.push({ label: 'wasm', backend: 'wasm', oneDnn: false });
  }
  if (available.includes('tensorflow')) cases.push({ label: 'tensorflow', backend: 'tensorflow', oneDnn: false });
  cases.push({ label: 'cpu', backend: 'cpu', oneDnn: false });
  return cases;
}

const BACKEND_CASES = await backendCases();

let root: string;
let reference: Reference;
beforeAll(async () => {
  if (!torchReady) return;
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pytorch-parity-'));
  reference = await runParity(path.join(root, 'reference'));
}, 120_000);
afterAll(async () => {
  for (const [name, value] of Object.entries(originalEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (root !== undefined) await fs.rm(root, { recursive: true, force: true });
});

describe.skipIf(!torchReady)('the PyTorch reference run', () => {
  it("uses the batch norm momentum and epsilon that resnet-lab's ResNets are built with", () => {
    // Keras's momentum weighs the running value, PyTorch's the batch value.
    expect(reference.settings.bn_momentum).toBeCloseTo(1 - BATCH_NORM_MOMENTUM, 12);
    expect(reference.settings.bn_epsilon).toBe(BATCH_NORM_EPSILON);
    expect(reference.losses).toHaveLength(20);
    expect(reference.settings).toMatchObject({ arch: 'resnet18', stem: 'cifar', momentum: 0.9, weight_decay: 5e-4 });
  });
});

describe.each(BACKEND_CASES)('resnet-lab against PyTorch on $label', (backendCase) => {
  let report: Report;
  beforeAll(async () => {
    const device = await activate(backendCase);
    const started = performance.now();
    const run = await trainLikeReference(reference);
    const trainSeconds = (performance.now() - started) / 1000;
    report = compare(reference, run, logitsOfImportedFinal(reference));
    console.log(`PyTorch parity on ${device}: ${formatReport(report)}; 20 steps in ${trainSeconds.toFixed(1)} s`);
  }, 300_000);

  it('gives the first three steps the same losses, within 1e-5 relative', () => {
    expect(report['first three losses'].value).toBeLessThanOrEqual(TOLERANCES['first three losses']);
  });

  it('gives all twenty steps the same losses, within 1e-3 relative', () => {
    expect(report['all twenty losses'].value).toBeLessThanOrEqual(TOLERANCES['all twenty losses']);
  });

  it('ends with the same weights, within 1e-3 relative in norm, tensor by tensor', () => {
    expect(report.weights.value).toBeLessThanOrEqual(TOLERANCES.weights);
  });

  it('ends with the same batch norm running statistics, within 1e-3 relative in norm, tensor by tensor', () => {
    expect(report['running statistics'].value).toBeLessThanOrEqual(TOLERANCES['running statistics']);
  });

  it("computes PyTorch's eval-mode logits from its final weights, within 1e-4 relative in norm", () => {
    expect(report['eval logits'].value).toBeLessThanOrEqual(TOLERANCES['eval logits']);
  });

  it.runIf(backendCase.convolution === 'winograd')(
    "computed layer3's and layer4's 3x3 convolutions by Winograd's algorithm",
    () => {
      // [batch, in height, in width, in channels, out height, out width, out channels, 3, 3, stride 1, padding 1]
      const layer3 = [4, 8, 8, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1];
      const layer4 = [4, 4, 4, 32, 4, 4, 32, 3, 3, 1, 1, 1, 1, 1, 1];
      for (const geometry of [layer3, layer4]) {
        for (const kind of ['forward', 'inputGradient', 'filterGradient'] as const) {
          expect(oneDnnConvolutionImplementation(kind, geometry)).toMatch(/^jit_wino_4x3:/);
        }
      }
    },
  );
});

/**
 * Which checks each change to the PyTorch side must fail, at least: those that follow from the change itself. A
 * change that leaves training alone (the running statistics' momentum or variance) must fail only its own check.
 */
const MUST_FAIL: Readonly<Record<Mutation, { readonly checks: readonly Check[]; readonly only: boolean }>> = {
  // Without weight decay each step moves each weight by lr * 5e-4 of itself less, which training amplifies: the losses
  // are 2e-6 apart at step 2 and 3e-2 by step 19.
  'weight-decay': { checks: ['all twenty losses', 'weights'], only: false },
  // No momentum: the second update already differs.
  momentum: { checks: ['first three losses', 'all twenty losses', 'weights'], only: false },
  'bn-momentum': { checks: ['running statistics'], only: true },
  // Epsilon 1e-3 changes every normalization, in training and in eval mode.
  'bn-epsilon': { checks: ['first three losses', 'weights', 'eval logits'], only: false },
  'bn-variance': { checks: ['running statistics'], only: true },
  // TensorFlow's asymmetric 'same' padding is another network.
  padding: { checks: ['first three losses', 'weights', 'eval logits'], only: false },
  // Without its batch norm the shortcut trains another network, and the unused batch norm keeps its initial
  // statistics, which in eval mode leave the logits within 1e-5.
  shortcut: { checks: ['first three losses', 'weights', 'running statistics'], only: false },
};

/** The first backend: wasm with oneDNN's kernels where the addon is built. */
const MUTATION_BACKEND: BackendCase | undefined = BACKEND_CASES[0];

describe.skipIf(MUTATION_BACKEND === undefined)(
  `resnet-lab against a changed PyTorch run, on ${MUTATION_BACKEND?.label ?? 'no backend'}`,
  () => {
    const references = new Map<Mutation, Reference>();
    let run: Run;
    beforeAll(async () => {
      await activate(MUTATION_BACKEND!);
      // Two at a time: a 2-core machine runs them no faster all at once.
      for (let index = 0; index < MUTATIONS.length; index += 2) {
        await Promise.all(
          MUTATIONS.slice(index, index + 2).map(async (mutation) => {
            references.set(mutation, await runParity(path.join(root, mutation), mutation));
          }),
        );
      }
      // Every changed run starts from the reference's weights and batches, so one resnet-lab run serves them all.
      run = await trainLikeReference(reference);
    }, 300_000);

    it.each(MUTATIONS)('fails with --mutate %s', (mutation) => {
      const changed = references.get(mutation)!;
      expect(sameBytes(changed.inputBytes.initial, reference.inputBytes.initial)).toBe(true);
      expect(sameBytes(changed.inputBytes.batches, reference.inputBytes.batches)).toBe(true);
      const report = compare(changed, run, logitsOfImportedFinal(changed));
      const failed = failedChecks(report);
      console.log(`--mutate ${mutation} fails ${failed.join(', ')}: ${formatReport(report)}`);
      const { checks, only } = MUST_FAIL[mutation];
      if (only) expect(failed).toEqual(checks);
      else expect(failed).toEqual(expect.arrayContaining([...checks]));
    });
  },
);
