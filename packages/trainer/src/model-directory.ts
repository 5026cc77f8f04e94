// Saves and loads TensorFlow.js layers models as a directory (model.json + weights file) on every backend.
//
// TensorFlow.js registers `file://` only with tfjs-node, so this goes through tf.io.withSaveHandler and
// tf.io.fromMemory. The layout is the standard tfjs one, loadable by tf.loadLayersModel from tfjs-node or over
// HTTP. The weights file is named after its content hash and written first; model.json, written last by an
// atomic rename, is the commit point. A crash at any step leaves the previous model.json with its weights intact.
// Readers also take a tar archive of such a directory (model-archive.ts), read in memory.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TEMPORARY_FILE_MARKER, nodeFileSystem, writeFileAtomic, type DurableFileSystem } from './atomic-file.js';
import { DiskFullError, isDiskFull } from './disk-full.js';
import { freeSpace } from './free-space.js';
import { pathOf, readModelArchive } from './model-archive.js';

export const MODEL_JSON = 'model.json';
const WEIGHTS_FILE_PATTERN = /^weights\.([0-9a-f]{16})\.bin$/;

/** JSON values without null at the top level, as tfjs types `userDefinedMetadata`. */
export type ModelMetadata = NonNullable<tf.io.ModelArtifacts['userDefinedMetadata']>;

export interface SaveModelOptions {
  /** JSON-serializable facts stored beside the topology (tfjs `userDefinedMetadata`). */
  readonly metadata?: ModelMetadata | undefined;
  readonly fileSystem?: DurableFileSystem | undefined;
  /** What the directory holds, for error messages: 'model' (the default) or 'checkpoint'. */
  readonly contents?: string | undefined;
}

export interface SavedModel {
  readonly directory: string;
  readonly weightsFile: string;
  readonly weightBytes: number;
  /** sha256 of the weights file, hex. */
  readonly weightsSha256: string;
}

/** A model directory that is missing, incomplete or corrupt; the message names the file and what is wrong. */
export class ModelDirectoryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelDirectoryError';
  }
}

export async function saveModelToDirectory(
  model: tf.LayersModel,
  directory: string,
  options: SaveModelOptions = {},
): Promise<SavedModel> {
  return writeModelArtifacts(directory, await captureModelArtifacts(model), options);
}

/** The topology and weights that `model.save` would write, in memory. */
export async function captureModelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      captured = artifacts;
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) {
    throw new Error(`Model '${model.name}' produced no topology or weights to save.`);
  }
  return captured;
}

export async function writeModelArtifacts(
  directory: string,
  artifacts: tf.io.ModelArtifacts,
  { metadata, fileSystem = nodeFileSystem, contents = 'model' }: SaveModelOptions = {},
): Promise<SavedModel> {
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const weightsSha256 = createHash('sha256').update(weights).digest('hex');
  const weightsFile = `weights.${weightsSha256.slice(0, 16)}.bin`;
  const modelJson: tf.io.ModelJSON = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology!,
    weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(metadata ? { userDefinedMetadata: metadata } : {}),
  };

  const modelJsonText = JSON.stringify(modelJson);
  try {
    await fs.mkdir(directory, { recursive: true });
    await writeFileAtomic(path.join(directory, weightsFile), weights, fileSystem);
    await writeFileAtomic(path.join(directory, MODEL_JSON), Buffer.from(modelJsonText), fileSystem);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    const freeBytes = await (fileSystem.freeSpace ?? freeSpace)(directory);
    const bytes = weights.byteLength + Buffer.byteLength(modelJsonText);
    throw new DiskFullError({ what: contents, path: directory, bytes, freeBytes }, { cause: error });
  }
  await removeStaleFiles(directory, weightsFile);
  return { directory, weightsFile, weightBytes: weights.byteLength, weightsSha256 };
}

/** Weights of earlier saves and temporaries of interrupted ones; only after the commit do they become garbage. */
async function removeStaleFiles(directory: string, currentWeightsFile: string): Promise<void> {
  for (const entry of await fs.readdir(directory)) {
    const stale =
      entry.includes(TEMPORARY_FILE_MARKER) || (WEIGHTS_FILE_PATTERN.test(entry) && entry !== currentWeightsFile);
    if (stale) await fs.rm(path.join(directory, entry), { force: true });
  }
}

export async function loadModelFromDirectory(directory: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(directory);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/**
 * Reads and checks a model directory, or a tar archive of one: topology present, every weights file complete and
 * matching its hash.
 */
export async function readModelArtifacts(location: string): Promise<tf.io.ModelArtifacts> {
  const files = await openModelFiles(location);
  const modelJsonPath = files.path(MODEL_JSON);
  const modelJson = await readModelJson(files);

  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const file of group.paths) buffers.push(await readWeightsFile(files, file));
  }
  // join copies even a single buffer: 89 MB for a full-width ResNet18 checkpoint (weights + momentum), 50-120 ms.
  const weightData = buffers.length === 1 ? buffers[0]! : tf.io.CompositeArrayBuffer.join(buffers);
  const expectedBytes = weightSpecs.reduce((total, spec) => total + weightByteLength(spec), 0);
  if (weightData.byteLength !== expectedBytes) {
    throw new ModelDirectoryError(
      `Weights of ${modelJsonPath} hold ${weightData.byteLength} bytes, but its manifest describes ${expectedBytes}.`,
    );
  }
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs,
    weightData,
    ...(modelJson.trainingConfig ? { trainingConfig: modelJson.trainingConfig } : {}),
    ...(modelJson.userDefinedMetadata ? { userDefinedMetadata: modelJson.userDefinedMetadata } : {}),
  };
}

/** The metadata saved with a model (in a directory or a tar archive of one), read without its weights. */
export async function readModelMetadata(location: string): Promise<unknown> {
  return (await readModelJson(await openModelFiles(location))).userDefinedMetadata;
}

/** The files of a saved model: those of its directory, or of the archive's folder that holds model.json. */
interface ModelFiles {
  /** The file's path for messages: `<directory>/<name>`, or `<archive> (<folder>/<name>)`. */
  path(name: string): string;
  read(name: string): Promise<Uint8Array>;
  /** Says that there is no saved model here, for when model.json cannot be read. */
  missing(): string;
}

/** A path to a regular file is read as an archive; anything else as a directory. */
async function openModelFiles(location: string): Promise<ModelFiles> {
  const isFile = await fs.stat(location).then(
    (stats) => stats.isFile(),
    () => false,
  );
  if (!isFile) {
    return {
      path: (name) => path.join(location, name),
      read: (name) => fs.readFile(path.join(location, name)),
      missing: () => `No saved model at ${location}: cannot read ${MODEL_JSON}.`,
    };
  }
  const { folder, files } = await readModelArchive(location);
  const inArchive = (name: string) => `${location} (${pathOf(folder, name)})`;
  return {
    path: inArchive,
    read: (name) => {
      const data = files.get(name);
      return data
        ? Promise.resolve(data)
        : Promise.reject(new Error(`${location} holds no file ${pathOf(folder, name)}.`));
    },
    missing: () => `No saved model in ${location}: cannot read ${pathOf(folder, MODEL_JSON)}.`,
  };
}

async function readModelJson(files: ModelFiles): Promise<tf.io.ModelJSON> {
  let text: string;
  try {
    text = Buffer.from(await files.read(MODEL_JSON)).toString('utf8');
  } catch (error) {
    throw new ModelDirectoryError(files.missing(), { cause: error });
  }
  return parseModelJson(text, files.path(MODEL_JSON));
}

function parseModelJson(text: string, modelJsonPath: string): tf.io.ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelDirectoryError(`${modelJsonPath} is not valid JSON.`, { cause: error });
  }
  const candidate = parsed as Partial<tf.io.ModelJSON> | null;
  const manifestValid =
    Array.isArray(candidate?.weightsManifest) &&
    candidate.weightsManifest.every((group) => Array.isArray(group?.paths) && Array.isArray(group?.weights));
  if (typeof candidate?.modelTopology !== 'object' || candidate.modelTopology === null || !manifestValid) {
    throw new ModelDirectoryError(
      `${modelJsonPath} is not a TensorFlow.js layers model: expected 'modelTopology' and 'weightsManifest'.`,
    );
  }
  return candidate as tf.io.ModelJSON;
}

async function readWeightsFile(files: ModelFiles, file: string): Promise<ArrayBuffer> {
  // Manifest paths are plain names inside the directory; anything else would read outside it.
  if (path.basename(file) !== file) {
    throw new ModelDirectoryError(
      `Weights path '${file}' in ${files.path(MODEL_JSON)} must be a file name inside the directory.`,
    );
  }
  const filePath = files.path(file);
  let bytes: Uint8Array;
  try {
    bytes = await files.read(file);
  } catch (error) {
    throw new ModelDirectoryError(`Cannot read weights file ${filePath} named in ${MODEL_JSON}.`, { cause: error });
  }
  const hashPrefix = WEIGHTS_FILE_PATTERN.exec(file)?.[1];
  if (hashPrefix !== undefined) {
    const actual = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    if (actual !== hashPrefix) {
      throw new ModelDirectoryError(
        `Weights file ${filePath} is corrupt: its sha256 starts ${actual}, not ${hashPrefix}.`,
      );
    }
  }
  // A file read whole has an ArrayBuffer of its own, taken as it is; a pooled small read or a file inside an archive
  // is a view of a larger buffer, copied out.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (
    whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  ) as ArrayBuffer;
}

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const BYTES_PER_QUANTIZED_ELEMENT: Readonly<Record<string, number>> = { float16: 2, uint16: 2, uint8: 1 };

/** Bytes that one weight takes in a weights file. */
export function weightByteLength(spec: tf.io.WeightsManifestEntry): number {
  const elements = spec.shape.reduce((product, dimension) => product * dimension, 1);
  const bytes = spec.quantization
    ? BYTES_PER_QUANTIZED_ELEMENT[spec.quantization.dtype]
    : BYTES_PER_ELEMENT[spec.dtype];
  if (bytes === undefined)
    throw new ModelDirectoryError(`Weight '${spec.name}' has unsupported dtype '${spec.dtype}'.`);
  return elements * bytes;
}
