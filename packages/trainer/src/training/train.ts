// The seed's CIFAR-10 training script as a library: SGD over shuffled, augmented batches; after every epoch a
// test pass and a checkpoint. Reports through events, stops at a batch boundary when its AbortSignal fires.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { STEM_DEFAULTS, buildResNet, summarizeResNet, type ResNetConfig, type ResNetInit } from '@resnet-lab/resnet';
import { useBackend } from '../backend/index.js';
import {
  CIFAR10_NORMALIZATION,
  computeNormalization,
  datasetCacheDirectory,
  deriveSeed,
  loadDataset,
  makeBatch,
  seededRandom,
  shuffledIndices,
  type DatasetSplits,
  type ImageDataset,
  type Normalization,
} from '../data/index.js';
import {
  BEST_CHECKPOINT,
  LAST_CHECKPOINT,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointMetadata,
  type LoadedCheckpoint,
} from './checkpoint.js';
import { evaluateModel } from './evaluate-model.js';
import { InferenceModel } from './inference-model.js';
import { OutOfMemoryError, explainStepFailure } from './out-of-memory-error.js';
import { learningRateAt } from './learning-rate-schedule.js';
import { SgdOptimizer } from './sgd.js';
import { namedParameters, trainStep } from './train-step.js';
import { TrainConfigError, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './train-config.js';
import type { BackendReport, EpochMetrics, TrainResult, TrainingEvent } from './training-events.js';

export interface TrainOptions {
  /** Run directory: checkpoints/last, checkpoints/best and metrics.jsonl go here. */
  readonly outDir: string;
  /** Continue from this checkpoint directory: its weights, momentum buffers, epoch and history. */
  readonly resumeFrom?: string | undefined;
  /** Stops the run at the next batch boundary; the last complete checkpoint stays valid. */
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: ((event: TrainingEvent) => void) | undefined;
  /** A dataset already in memory, instead of loading `config.data`. */
  readonly dataset?: DatasetSplits | undefined;
  /**
   * Where the decoded images of an image folder are cached when `config.data` is loaded here: in its own subfolder,
   * datasetCacheDirectory(cacheDir, config.data). Default none: every run decodes.
   */
  readonly cacheDir?: string | undefined;
  /**
   * Also write each epoch's checkpoint to its own `checkpoints/epoch-<n>` directory, which later epochs never
   * overwrite: for trackers that record every checkpoint, where `last` and `best` move on.
   */
  readonly keepEpochCheckpoints?: boolean | undefined;
}

/** Streams of the seeded generator, so shuffling and augmentation draw independent sequences per epoch. */
const SHUFFLE_STREAM = 1;
const AUGMENT_STREAM = 2;

export async function train(input: TrainConfig | TrainConfigInput, options: TrainOptions): Promise<TrainResult> {
  const requested = resolveTrainConfig(input);
  const startedAt = performance.now();
  const elapsedSeconds = () => (performance.now() - startedAt) / 1000;
  const backendInfo = await useBackend(requested.backend);
  const backend: BackendReport = { name: backendInfo.name, device: backendInfo.device };
  const emit = (event: TrainingEvent) => options.onEvent?.(event);

  const resumed = options.resumeFrom ? await loadCheckpoint(options.resumeFrom) : null;
  // The weights come from the checkpoint, so its init is the run's, whatever was asked.
  const config: TrainConfig = resumed
    ? { ...requested, init: resumedInit(resumed.metadata, requested.init) }
    : requested;
  const dataset =
    options.dataset ??
    (await loadDataset(config.data, {
      ...datasetOptionsFor(config),
      cacheDirectory: options.cacheDir === undefined ? undefined : datasetCacheDirectory(options.cacheDir, config.data),
    }));
  const { train: trainSplit, test: testSplit } = dataset;
  const modelConfig = modelConfigFor(config, trainSplit);
  const model = resumed
    ? resumedModel(resumed, modelConfig)
    : buildResNet(modelConfig, { seed: config.seed, init: config.init });
  const normalization = resumed ? resumed.metadata.normalization : normalizationFor(config, trainSplit);

  const parameters = namedParameters(model);
  const optimizer = new SgdOptimizer(config);
  if (resumed) {
    optimizer.restore(resumed.momentumBuffers);
    tf.dispose([...resumed.momentumBuffers.values()]);
  }

  const history: EpochMetrics[] = [...(resumed?.metadata.history ?? [])];
  let bestTestAccuracy = resumed?.metadata.bestTestAccuracy ?? null;
  const firstEpoch = (resumed?.metadata.epoch ?? 0) + 1;
  const batchesPerEpoch = Math.ceil(trainSplit.count / config.batchSize);
  const lastDirectory = path.join(options.outDir, LAST_CHECKPOINT);
  const bestDirectory = path.join(options.outDir, BEST_CHECKPOINT);
  let lastCheckpoint: string | null = null;
  let bestCheckpoint: string | null = null;
  const summary = summarizeResNet(modelConfig);
  emit({
    kind: 'start',
    backend,
    epochs: config.epochs,
    firstEpoch,
    batchesPerEpoch,
    trainImages: trainSplit.count,
    testImages: testSplit.count,
    classNames: trainSplit.classNames,
    trainableParams: summary.trainableParams,
    macs: summary.macs,
    init: config.init,
  });
  await fs.mkdir(options.outDir, { recursive: true });

  let cancelled = false;
  let moduleAborted = false;
  try {
    for (let epoch = firstEpoch; epoch <= config.epochs && !cancelled; epoch++) {
      const epochStart = performance.now();
      const order = shuffledIndices(trainSplit.count, seededRandom(deriveSeed(config.seed, epoch, SHUFFLE_STREAM)));
      const augmentRandom = seededRandom(deriveSeed(config.seed, epoch, AUGMENT_STREAM));
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let trainSeconds = 0;
      const epochLearningRate = learningRateAt(config, epoch - 1, 0, batchesPerEpoch);

      for (let batch = 0; batch < batchesPerEpoch; batch++) {
        // Lets the event loop deliver a cancellation (an IPC message, a signal) before every step.
        await new Promise((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
        const stepStart = performance.now();
        const indices = order.subarray(batch * config.batchSize, (batch + 1) * config.batchSize);
        const learningRate = learningRateAt(config, epoch - 1, batch, batchesPerEpoch);
        const pixels = makeBatch(trainSplit, indices, {
          augment: config.augment,
          random: augmentRandom,
          normalization: normalization ?? undefined,
        });
        const labels = Int32Array.from(indices, (index) => trainSplit.labels[index]!);
        const step = await trainStep(model, parameters, optimizer, {
          pixels,
          labels,
          size: trainSplit.height,
          classes: trainSplit.classNames.length,
          learningRate,
        }).catch((error: unknown) => {
          const explained = explainStepFailure(error, backend, config.batchSize);
          moduleAborted = explained instanceof OutOfMemoryError;
          throw explained;
        });
        const stepSeconds = (performance.now() - stepStart) / 1000;
        trainSeconds += stepSeconds;
        lossSum += step.loss * indices.length;
        correct += step.correct;
        seen += indices.length;
        emit({
          kind: 'batch',
          backend,
          epoch,
          batch: batch + 1,
          batches: batchesPerEpoch,
          loss: step.loss,
          accuracy: step.correct / indices.length,
          learningRate,
          // The epoch's so far, not this step's: a small leftover batch would otherwise show a fraction of the rate.
          imagesPerSecond: seen / trainSeconds,
          elapsedSeconds: elapsedSeconds(),
        });
      }
      if (cancelled) break;

      let test: { loss: number; accuracy: number } | null = null;
      if (testSplit.count > 0) {
        // Batch norm folded into the convolutions, as eval and the API evaluate a checkpoint: the same figures.
        const inference = InferenceModel.fromResNet(model, modelConfig);
        try {
          test = await evaluateModel(inference, testSplit, {
            batchSize: config.batchSize,
            normalization,
            signal: options.signal,
          });
        } catch (error) {
          if (options.signal?.aborted) {
            cancelled = true;
            break;
          }
          throw error;
        } finally {
          inference.dispose();
        }
      }
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        testLoss: test?.loss ?? null,
        testAccuracy: test?.accuracy ?? null,
        learningRate: epochLearningRate,
        durationSeconds: (performance.now() - epochStart) / 1000,
        imagesPerSecond: seen / trainSeconds,
      };
      history.push(metrics);
      // Without a test split, the latest epoch counts as the best.
      const isBest =
        metrics.testAccuracy === null || bestTestAccuracy === null || metrics.testAccuracy > bestTestAccuracy;
      if (isBest) bestTestAccuracy = metrics.testAccuracy;
      const epochDirectory = options.keepEpochCheckpoints ? epochCheckpointDirectory(options.outDir, epoch) : null;
      const directories = [
        lastDirectory,
        ...(isBest ? [bestDirectory] : []),
        ...(epochDirectory ? [epochDirectory] : []),
      ];
      const weightsSha256 = await saveCheckpoint(directories, model, optimizer.state(), {
        epoch,
        config,
        model: modelConfig,
        classNames: trainSplit.classNames,
        normalization,
        metrics,
        history,
        bestTestAccuracy,
        backend: `${backend.name} (${backend.device})`,
        savedAt: new Date().toISOString(),
      });
      lastCheckpoint = lastDirectory;
      if (isBest) bestCheckpoint = bestDirectory;
      await fs.appendFile(path.join(options.outDir, 'metrics.jsonl'), `${JSON.stringify(metrics)}\n`);
      emit({
        kind: 'epoch',
        backend,
        epochs: config.epochs,
        elapsedSeconds: elapsedSeconds(),
        checkpoint: lastDirectory,
        epochCheckpoint: epochDirectory,
        weightsSha256,
        isBest,
        ...metrics,
      });
    }
  } finally {
    // After an out-of-memory abort the wasm module is dead: disposing would fail and hide the explanation.
    if (!moduleAborted) {
      optimizer.dispose();
      model.dispose();
    }
  }

  return {
    status: cancelled ? 'cancelled' : 'completed',
    backend,
    epochsCompleted: history.length === 0 ? 0 : history.at(-1)!.epoch,
    history,
    lastCheckpoint: lastCheckpoint ?? (resumed ? resumed.directory : null),
    bestCheckpoint,
    bestTestAccuracy,
    elapsedSeconds: elapsedSeconds(),
  };
}

/** `<outDir>/checkpoints/epoch-0007`: zero-padded so that directory listings sort by epoch. */
export function epochCheckpointDirectory(outDir: string, epoch: number): string {
  return path.join(outDir, 'checkpoints', `epoch-${String(epoch).padStart(4, '0')}`);
}

/** How `config.data` is loaded, by training and by evaluation of its checkpoints alike. */
export function datasetOptionsFor(config: TrainConfig) {
  return {
    testFraction: config.testFraction,
    limitPerClass: config.limitPerClass || undefined,
    // The synthetic dataset keeps its own default seed, so that runs with different seeds see the same data.
    // Image folders are resized to the stem's input (CIFAR-10 binary and synthetic data are 32x32 already).
    imageSize: config.stem === 'imagenet' ? STEM_DEFAULTS.imagenet.inputSize : undefined,
  };
}

function modelConfigFor(config: TrainConfig, split: ImageDataset): ResNetConfig {
  if (split.height !== split.width) {
    throw new TrainConfigError('data', `Expected square images, got ${split.width}x${split.height} in ${config.data}.`);
  }
  return {
    arch: config.arch,
    stem: config.stem,
    classes: split.classNames.length,
    inputSize: split.height,
    width: config.width,
  };
}

/** The init that made a resumed checkpoint's weights; imported weights were made by none of ours: the requested. */
function resumedInit(checkpoint: CheckpointMetadata, requested: ResNetInit): ResNetInit {
  return checkpoint.config === null ? requested : checkpoint.config.init;
}

function normalizationFor(config: TrainConfig, split: ImageDataset): Normalization | null {
  switch (config.normalization) {
    case 'none':
      return null;
    case 'cifar10':
      return CIFAR10_NORMALIZATION;
    case 'dataset':
      return computeNormalization(split);
  }
}

function resumedModel(checkpoint: LoadedCheckpoint, expected: ResNetConfig): tf.LayersModel {
  const stored = checkpoint.metadata.model;
  const mismatched = (Object.keys(expected) as (keyof ResNetConfig)[]).filter((key) => stored[key] !== expected[key]);
  if (mismatched.length > 0) {
    const differences = mismatched.map((key) => `${key} ${String(stored[key])} vs ${String(expected[key])}`).join(', ');
    checkpoint.model.dispose();
    throw new TrainConfigError(
      mismatched[0]!,
      `Cannot resume ${checkpoint.directory}: its model differs from this run's (checkpoint vs run: ${differences}).`,
    );
  }
  return checkpoint.model;
}
