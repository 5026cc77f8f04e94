// The decoded-image cache of loadImageFolder: one file per (image files, sizes, mtimes, loading options), written
// atomically, so that a second load of an unchanged folder reads bytes instead of decoding thousands of images.
//
// Layout: "RLIMGC01", u32 LE header length, JSON header {key, classNames, height, width, trainCount, testCount},
// then train images, train labels (int32 LE), test images, test labels (int32 LE).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { hasErrorCode, isSystemError } from './has-error-code.js';
import { DatasetError, type DatasetSplits, type ImageDataset } from './image-dataset.js';

const MAGIC = 'RLIMGC01';
/** Bump when decoding or resizing changes, so that old caches stop matching. */
const CACHE_FORMAT_VERSION = 1;
const STAT_BATCH = 256;

interface CacheHeader {
  readonly key: string;
  readonly classNames: readonly string[];
  readonly height: number;
  readonly width: number;
  readonly trainCount: number;
  readonly testCount: number;
}

/** sha256 over the format version, the loading settings and every file's split-relative path, size and mtime. */
export async function imageFolderCacheKey(
  files: readonly { readonly path: string; readonly key: string }[],
  settings: Readonly<Record<string, number | null>>,
): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ version: CACHE_FORMAT_VERSION, settings }));
  for (let start = 0; start < files.length; start += STAT_BATCH) {
    const batch = files.slice(start, start + STAT_BATCH);
    const stats = await Promise.all(
      batch.map((file) =>
        fs.stat(file.path).catch((error: unknown) => {
          throw new DatasetError(`Cannot read image ${file.path}.`, { cause: error });
        }),
      ),
    );
    for (const [index, file] of batch.entries()) {
      hash.update(`\n${JSON.stringify([file.key, stats[index]!.size, Math.trunc(stats[index]!.mtimeMs)])}`);
    }
  }
  return hash.digest('hex');
}

export function imageFolderCacheFile(cacheDirectory: string, key: string): string {
  return path.join(cacheDirectory, `image-folder-${key.slice(0, 32)}.bin`);
}

/**
 * The cached splits for `key`, or undefined when there is no readable cache that matches (it is then rebuilt and
 * overwritten, so a truncated or foreign file costs one decode, not a failure).
 */
export async function readImageFolderCache(
  cacheDirectory: string,
  key: string,
  classNames: readonly string[],
): Promise<DatasetSplits | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(imageFolderCacheFile(cacheDirectory, key));
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR', 'EACCES', 'EPERM')) return undefined;
    throw new DatasetError(`Cannot read the image cache in ${cacheDirectory}.`, { cause: error });
  }
  if (bytes.byteLength < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength));
  } catch {
    return undefined;
  }
  if (!isCacheHeader(header) || header.key !== key || header.classNames.join('/') !== classNames.join('/')) {
    return undefined;
  }

  const imageBytes = header.height * header.width * 3;
  const expectedLength = MAGIC.length + 4 + headerLength + (header.trainCount + header.testCount) * (imageBytes + 4);
  if (bytes.byteLength !== expectedLength) return undefined;

  let offset = MAGIC.length + 4 + headerLength;
  const readSplit = (count: number): ImageDataset => {
    const images = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count * imageBytes);
    offset += count * imageBytes;
    const labels = new Int32Array(count);
    for (let index = 0; index < count; index++) labels[index] = bytes.readInt32LE(offset + index * 4);
    offset += count * 4;
    return { classNames, images, labels, count, height: header.height, width: header.width };
  };
  const train = readSplit(header.trainCount);
  const test = readSplit(header.testCount);
  return { train, test };
}

/**
 * Writes the cache atomically. A cache that cannot be written (read-only dataset, full disk, a cache path under a
 * file) does not fail the load: the system error goes to `onError` and the next load decodes again.
 */
export async function writeImageFolderCache(
  cacheDirectory: string,
  key: string,
  splits: DatasetSplits,
  onError: (error: Error) => void = () => {},
): Promise<void> {
  const { train, test } = splits;
  const header: CacheHeader = {
    key,
    classNames: train.classNames,
    height: train.height,
    width: train.width,
    trainCount: train.count,
    testCount: test.count,
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 'latin1');
  prefix.writeUInt32LE(headerBytes.byteLength, MAGIC.length);
  const bytes = Buffer.concat([
    prefix,
    headerBytes,
    train.images,
    labelBytes(train.labels),
    test.images,
    labelBytes(test.labels),
  ]);
  try {
    await fs.mkdir(cacheDirectory, { recursive: true });
    await writeFileAtomic(imageFolderCacheFile(cacheDirectory, key), bytes);
  } catch (error) {
    // Only file-system failures (they carry a code such as EACCES or EROFS) are the cache's own problem.
    if (!isSystemError(error)) throw error;
    onError(
      new DatasetError(`Cannot write the image cache in ${cacheDirectory}; loading without it.`, { cause: error }),
    );
  }
}

function isCacheHeader(value: unknown): value is CacheHeader {
  const header = value as Partial<CacheHeader> | null;
  const isCount = (count: unknown) => Number.isInteger(count) && (count as number) >= 0;
  return (
    typeof header?.key === 'string' &&
    Array.isArray(header.classNames) &&
    [header.height, header.width, header.trainCount, header.testCount].every(isCount)
  );
}

function labelBytes(labels: Int32Array): Buffer {
  const bytes = Buffer.alloc(labels.length * 4);
  for (let index = 0; index < labels.length; index++) bytes.writeInt32LE(labels[index]!, index * 4);
  return bytes;
}
