// Predictions: classify an uploaded image with a checkpoint kept loaded in a bounded cache. The image's size is
// checked from its header; a small image (INLINE_DECODE_PIXELS) is decoded here, a larger one on the image decoder
// pool's threads; the forward pass runs here. The checkpoint a request names (by id, or through a model's alias) is
// resolved once and kept: a warm prediction's one database statement stores it, checking that the target still holds.
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { createHash } from 'node:crypto';
import {
  DatasetError,
  classifyImages,
  detectImageFormat,
  loadInferenceCheckpoint,
  modelInputSize,
  prepareImage,
  readImageSize,
  type Classifier,
  type ImagePrediction,
} from '@resnet-lab/trainer';
import { badUserInput, conflict, limitExceeded } from '../errors.js';
import type { PrismaClient, Prediction } from '../generated/prisma/client.js';
import type { CheckpointService } from './checkpoint-service.js';
import { ImageDecoderBusyError, type ImageDecoderPool } from './image-decoder-pool.js';
import { LeastRecentlyUsed } from './least-recently-used.js';
import { PredictionTargets, type PredictionTarget, type TargetName } from './prediction-target.js';
import { storePrediction } from './store-prediction.js';

export interface PredictInput {
  readonly checkpointId?: string | null;
  readonly modelName?: string | null;
  readonly alias?: string | null;
  readonly imageBase64: string;
  readonly topK?: number | null;
}

const DEFAULT_ALIAS = 'production';
const DEFAULT_TOP_K = 5;
/** Resolved targets kept (a few hundred bytes each). */
const TARGETS_KEPT = 1000;
/** Predictions tried against a target that changes under them before the request fails with CONFLICT. */
const MAX_ATTEMPTS = 3;
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
/** Names the uploaded image in decoding errors. */
const IMAGE_SOURCE = 'imageBase64';
/**
 * Images of at most this many pixels (by their header) are decoded on the event loop: a 64x64 PNG takes well under a
 * millisecond, less than the trip to a decoder thread, which under load (its thread runs at the lowest priority)
 * waited for milliseconds. Larger ones go to the pool, so that a large or hostile image cannot block the API.
 */
export const INLINE_DECODE_PIXELS = 64 * 64;

/** What the service needs of the image decoder pool. */
export type ImageDecoder = Pick<ImageDecoderPool, 'decode'>;

export interface PredictionOptions {
  readonly cacheSize: number;
  /** MAX_IMAGE_BYTES: largest image, compressed. */
  readonly maxImageBytes: number;
  /** MAX_IMAGE_PIXELS: largest image, width x height, checked from its header before decoding. */
  readonly maxImagePixels: number;
}

export class PredictionService {
  /** Loaded classifiers by checkpoint directory; one dropped for capacity is freed once loaded. */
  private readonly cache: LeastRecentlyUsed<string, Promise<Classifier>>;
  private readonly targets = new PredictionTargets(TARGETS_KEPT);

  constructor(
    private readonly prisma: PrismaClient,
    private readonly checkpoints: CheckpointService,
    private readonly artifacts: ArtifactStore,
    /** Loads the compute backend, once. */
    private readonly loadBackend: () => Promise<unknown>,
    /** Decodes images off the event loop; its owner closes it. */
    private readonly decoder: ImageDecoder,
    private readonly options: PredictionOptions,
  ) {
    this.cache = new LeastRecentlyUsed(options.cacheSize, (dropped) => {
      void dropped.then(
        (classifier) => classifier.model.dispose(),
        () => {},
      );
    });
  }

  async predict(input: PredictInput): Promise<Prediction> {
    const name = targetName(input);
    const bytes = this.decodeBase64(input.imageBase64);
    const pixelCount = this.checkPixels(bytes);
    const inputSha256 = createHash('sha256').update(bytes).digest('hex');
    for (let attempt = 1; ; attempt++) {
      const target = this.targets.get(name) ?? (await this.resolveTarget(name));
      const { classifier, cached } = await this.classifier(target.location);
      const started = performance.now();
      const top = await this.classify(classifier, bytes, pixelCount, input.topK);
      const stored = await storePrediction(this.prisma, target, {
        topK: top.map((entry) => ({ classIndex: entry.label, label: entry.className, probability: entry.probability })),
        latencyMs: performance.now() - started,
        cached,
        inputSha256,
      });
      if (stored) {
        this.targets.remember(name, target);
        return stored;
      }
      // The alias moved, or the checkpoint was pruned or deleted, since the target was resolved: resolve it again,
      // which also gives the error when there is nothing to predict with any more.
      this.targets.forget(name);
      if (attempt === MAX_ATTEMPTS) {
        throw conflict(
          `${describeTarget(name)} changed during each of ${MAX_ATTEMPTS} attempts to predict with it; try again.`,
        );
      }
    }
  }

  /** Frees every cached model. */
  async clear(): Promise<void> {
    this.targets.clear();
    for (const classifier of await Promise.allSettled(this.cache.clear())) {
      if (classifier.status === 'fulfilled') classifier.value.model.dispose();
    }
  }

  /** The top-k of the image by `classifier`, decoded here when small and on the decoder pool when not. */
  private async classify(
    classifier: Classifier,
    bytes: Uint8Array,
    pixelCount: number,
    requestedTopK: number | null | undefined,
  ): Promise<ImagePrediction['top']> {
    const topK = requestedTopK ?? Math.min(DEFAULT_TOP_K, classifier.classNames.length);
    if (!Number.isInteger(topK) || topK < 1 || topK > classifier.classNames.length) {
      throw badUserInput(
        'topK',
        `Expected topK from 1 to ${classifier.classNames.length} (the model's classes), got ${topK}.`,
        topK,
      );
    }
    let pixels: Float32Array;
    try {
      const task = {
        bytes,
        source: IMAGE_SOURCE,
        ...modelInputSize(classifier.model),
        normalization: classifier.normalization,
        maxPixels: this.options.maxImagePixels,
      };
      pixels =
        pixelCount <= INLINE_DECODE_PIXELS ? prepareImage(bytes, IMAGE_SOURCE, task) : await this.decoder.decode(task);
    } catch (error) {
      if (error instanceof DatasetError) {
        throw badUserInput('imageBase64', `The image could not be decoded: ${error.message}`);
      }
      if (error instanceof ImageDecoderBusyError) {
        throw limitExceeded(`The server is busy decoding images: ${error.message}`);
      }
      throw error;
    }
    const [prediction] = (await classifyImages(classifier, [{ source: IMAGE_SOURCE, pixels }], topK)) as [
      ImagePrediction,
    ];
    return prediction.top;
  }

  private async resolveTarget(name: TargetName): Promise<PredictionTarget> {
    if (name.kind === 'checkpoint') {
      const checkpoint = await this.checkpoints.findAvailable(name.checkpointId);
      return { kind: 'checkpoint', checkpointId: checkpoint.id, location: checkpoint.location };
    }
    const { modelName, alias } = name;
    // One query (the alias and the model as filters of the version's); the model's own row only to explain a miss.
    const version = await this.prisma.modelVersion.findFirst({
      where: { aliases: { some: { alias, model: { name: modelName } } } },
      select: { id: true, checkpointId: true, location: true },
    });
    if (!version) {
      const model = await this.prisma.model.findUnique({ where: { name: modelName } });
      if (!model) throw badUserInput('modelName', `No model named '${modelName}'.`, modelName);
      const aliases = (await this.prisma.modelAlias.findMany({ where: { modelId: model.id } })).map((a) => a.alias);
      throw badUserInput(
        'alias',
        `Model '${model.name}' has no version with alias '${alias}'` +
          (aliases.length > 0
            ? ` (its aliases: ${aliases.join(', ')}).`
            : '; promote a checkpoint with that alias first.'),
        alias,
      );
    }
    return {
      kind: 'alias',
      modelName,
      alias,
      modelVersionId: version.id,
      checkpointId: version.checkpointId,
      location: version.location,
    };
  }

  private decodeBase64(text: string): Uint8Array {
    const base64 = text.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
    // Checked before decoding: Buffer.from ignores characters that are not base64 instead of failing.
    if (!BASE64_PATTERN.test(base64)) throw badUserInput('imageBase64', 'The image is not valid base64.', text);
    const decodedBytes = Math.floor((base64.length * 3) / 4);
    if (decodedBytes > this.options.maxImageBytes) {
      throw badUserInput(
        'imageBase64',
        `The image is ${decodedBytes} bytes; the limit is ${this.options.maxImageBytes} (MAX_IMAGE_BYTES).`,
      );
    }
    const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
    if (detectImageFormat(bytes) === undefined) {
      throw badUserInput('imageBase64', 'The image is neither PNG nor JPEG (checked by its first bytes).');
    }
    return bytes;
  }

  /**
   * The image's pixel count, by its header; refuses an image over MAX_IMAGE_PIXELS: a small file can expand to
   * gigabytes when decoded.
   */
  private checkPixels(bytes: Uint8Array): number {
    let size: { width: number; height: number };
    try {
      size = readImageSize(bytes, IMAGE_SOURCE);
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      throw badUserInput('imageBase64', `The image could not be decoded: ${error.message}`);
    }
    const pixels = size.width * size.height;
    if (pixels > this.options.maxImagePixels) {
      throw badUserInput(
        'imageBase64',
        `The image is ${size.width}x${size.height} = ${pixels} pixels; the limit is ${this.options.maxImagePixels} ` +
          '(MAX_IMAGE_PIXELS).',
      );
    }
    return pixels;
  }

  private async classifier(location: string): Promise<{ classifier: Classifier; cached: boolean }> {
    const existing = this.cache.get(location);
    if (existing) return { classifier: await existing, cached: true };
    const loading = this.loadBackend()
      .then(() => loadInferenceCheckpoint(this.artifacts.resolve(location)))
      // Batch norm folded into the convolutions, the fast inference path, straight from the stored weights.
      .then(({ model, metadata: { classNames, normalization } }) => ({ model, classNames, normalization }));
    this.cache.set(location, loading);
    loading.catch(() => this.cache.delete(location));
    return { classifier: await loading, cached: false };
  }
}

/** The target the request names; refuses a request that names none, or both kinds. */
function targetName(input: PredictInput): TargetName {
  if (input.checkpointId && input.modelName) {
    throw badUserInput('checkpointId', 'Give either checkpointId or modelName (with alias), not both.');
  }
  if (input.checkpointId) return { kind: 'checkpoint', checkpointId: input.checkpointId };
  if (!input.modelName) throw badUserInput('checkpointId', 'Give a checkpointId, or a modelName with an alias.');
  return { kind: 'alias', modelName: input.modelName, alias: input.alias ?? DEFAULT_ALIAS };
}

function describeTarget(name: TargetName): string {
  return name.kind === 'checkpoint'
    ? `Checkpoint ${name.checkpointId}`
    : `The version of model '${name.modelName}' with alias '${name.alias}'`;
}
