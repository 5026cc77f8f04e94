// Predictions: classify an uploaded image with a checkpoint kept loaded in a bounded cache. The image's size is
// checked from its header; a small image (INLINE_DECODE_PIXELS) is decoded here, a larger one on the image decoder
// pool's threads; the forward pass runs here.
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { createHash } from 'node:crypto';
import {
  DatasetError,
  InferenceModel,
  classifyImages,
  detectImageFormat,
  loadCheckpoint,
  modelInputSize,
  prepareImage,
  readImageSize,
  type Classifier,
  type ImagePrediction,
} from '@resnet-lab/trainer';
import { badUserInput, limitExceeded } from '../errors.js';
import type { PrismaClient, Prediction } from '../generated/prisma/client.js';
import type { CheckpointService } from './checkpoint-service.js';
import { ImageDecoderBusyError, type ImageDecoderPool } from './image-decoder-pool.js';

export interface PredictInput {
  readonly checkpointId?: string | null;
  readonly modelName?: string | null;
  readonly alias?: string | null;
  readonly imageBase64: string;
  readonly topK?: number | null;
}

const DEFAULT_ALIAS = 'production';
const DEFAULT_TOP_K = 5;
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
  /** Loaded classifiers by checkpoint directory, least recently used first. */
  private readonly cache = new Map<string, Promise<Classifier>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly checkpoints: CheckpointService,
    private readonly artifacts: ArtifactStore,
    /** Loads the compute backend, once. */
    private readonly loadBackend: () => Promise<unknown>,
    /** Decodes images off the event loop; its owner closes it. */
    private readonly decoder: ImageDecoder,
    private readonly options: PredictionOptions,
  ) {}

  async predict(input: PredictInput): Promise<Prediction> {
    const target = await this.resolveTarget(input);
    const bytes = this.decodeBase64(input.imageBase64);
    const pixelCount = this.checkPixels(bytes);
    const { classifier, cached } = await this.classifier(target.location);
    const topK = input.topK ?? Math.min(DEFAULT_TOP_K, classifier.classNames.length);
    if (!Number.isInteger(topK) || topK < 1 || topK > classifier.classNames.length) {
      throw badUserInput(
        'topK',
        `Expected topK from 1 to ${classifier.classNames.length} (the model's classes), got ${topK}.`,
        topK,
      );
    }
    const started = performance.now();
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
    const latencyMs = performance.now() - started;
    return this.prisma.prediction.create({
      data: {
        checkpointId: target.checkpointId,
        modelVersionId: target.modelVersionId,
        topK: prediction.top.map((entry) => ({
          classIndex: entry.label,
          label: entry.className,
          probability: entry.probability,
        })),
        latencyMs,
        cached,
        inputSha256: createHash('sha256').update(bytes).digest('hex'),
      },
    });
  }

  /** Frees every cached model. */
  async clear(): Promise<void> {
    const loaded = [...this.cache.values()];
    this.cache.clear();
    for (const classifier of await Promise.allSettled(loaded)) {
      if (classifier.status === 'fulfilled') classifier.value.model.dispose();
    }
  }

  private async resolveTarget(input: PredictInput) {
    if (input.checkpointId && input.modelName) {
      throw badUserInput('checkpointId', 'Give either checkpointId or modelName (with alias), not both.');
    }
    if (input.checkpointId) {
      const checkpoint = await this.checkpoints.findAvailable(input.checkpointId);
      return { checkpointId: checkpoint.id, modelVersionId: null, location: checkpoint.location };
    }
    if (!input.modelName) throw badUserInput('checkpointId', 'Give a checkpointId, or a modelName with an alias.');
    const alias = input.alias ?? DEFAULT_ALIAS;
    // One query on the way every warm prediction takes (the alias and the model as filters of the version's); the
    // model's own row only to explain a miss.
    const version = await this.prisma.modelVersion.findFirst({
      where: { aliases: { some: { alias, model: { name: input.modelName } } } },
      select: { id: true, checkpointId: true, location: true },
    });
    if (!version) {
      const model = await this.prisma.model.findUnique({ where: { name: input.modelName } });
      if (!model) throw badUserInput('modelName', `No model named '${input.modelName}'.`, input.modelName);
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
      checkpointId: version.checkpointId,
      modelVersionId: version.id,
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
    if (existing) {
      this.cache.delete(location);
      this.cache.set(location, existing);
      return { classifier: await existing, cached: true };
    }
    const loading = this.loadBackend()
      .then(() => loadCheckpoint(this.artifacts.resolve(location)))
      .then((checkpoint) => {
        checkpoint.momentumBuffers.forEach((tensor) => tensor.dispose());
        const { classNames, normalization } = checkpoint.metadata;
        // Batch norm folded into the convolutions, the fast inference path; the layers model is not needed after.
        try {
          return {
            model: InferenceModel.fromResNet(checkpoint.model, checkpoint.metadata.model),
            classNames,
            normalization,
          };
        } finally {
          checkpoint.model.dispose();
        }
      });
    this.cache.set(location, loading);
    loading.catch(() => this.cache.delete(location));
    while (this.cache.size > this.options.cacheSize) {
      const [oldest, evicted] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      void evicted.then(
        (classifier) => classifier.model.dispose(),
        () => {},
      );
    }
    return { classifier: await loading, cached: false };
  }
}
