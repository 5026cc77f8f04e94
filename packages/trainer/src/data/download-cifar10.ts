// Downloads and extracts the official CIFAR-10 binary archive (https://www.cs.toronto.edu/~kriz/cifar.html),
// checking its md5 and moving the extracted folder into place with one rename, so that a crash or an abort never
// leaves a half-written dataset behind.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { CIFAR10_ARCHIVE_FOLDER, hasCompleteCifar10Binary } from './cifar10-binary.js';
import { extractTar } from './extract-tar.js';
import { hasErrorCode } from './has-error-code.js';
import { DatasetError } from './image-dataset.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
const TEMPORARY_PREFIX = '.cifar-10-download-';

export interface DownloadCifar10Options {
  /** Where the archive comes from; default the official release, CIFAR10_URL. */
  readonly url?: string | undefined;
  /** Expected md5 of the archive, hex; default the official archive's, CIFAR10_MD5. */
  readonly md5?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called for every chunk received; totalBytes is null when the server sends no Content-Length. */
  readonly onProgress?: ((receivedBytes: number, totalBytes: number | null) => void) | undefined;
}

/**
 * Downloads the archive into `destination` and returns the folder readCifar10Binary reads,
 * `<destination>/cifar-10-batches-bin`. Where `destination` already holds the complete dataset, nothing is
 * downloaded and that folder is returned.
 */
export async function downloadCifar10(destination: string, options: DownloadCifar10Options = {}): Promise<string> {
  const { url = CIFAR10_URL, md5 = CIFAR10_MD5, signal, onProgress } = options;
  const target = path.join(destination, CIFAR10_ARCHIVE_FOLDER);
  if (await hasCompleteCifar10Binary(target)) return target;
  if (await hasCompleteCifar10Binary(destination)) return destination;
  if (await exists(target)) {
    throw new DatasetError(
      `${target} exists but does not hold the complete CIFAR-10 binary dataset: remove it and download again.`,
    );
  }

  await fs.mkdir(destination, { recursive: true });
  const temporary = path.join(destination, `${TEMPORARY_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  const archivePath = `${temporary}.tar.gz`;
  try {
    const actualMd5 = await fetchToFile(url, archivePath, destination, signal, onProgress);
    if (actualMd5 !== md5.toLowerCase()) {
      throw new DatasetError(
        `The archive downloaded from ${url} is corrupt or not the expected file: its md5 is ${actualMd5}, ` +
          `expected ${md5}.`,
      );
    }
    signal?.throwIfAborted();
    let tar: Buffer;
    try {
      tar = await promisify(gunzip)(await fs.readFile(archivePath));
    } catch (error) {
      throw new DatasetError(`The archive downloaded from ${url} is not a valid .tar.gz file.`, { cause: error });
    }
    await extractTar(tar, temporary, url);
    const extracted = path.join(temporary, CIFAR10_ARCHIVE_FOLDER);
    if (!(await hasCompleteCifar10Binary(extracted))) {
      throw new DatasetError(
        `The archive downloaded from ${url} does not hold ${CIFAR10_ARCHIVE_FOLDER}/ with batches.meta.txt, ` +
          `data_batch_1.bin ... data_batch_5.bin and test_batch.bin.`,
      );
    }
    signal?.throwIfAborted();
    // The single commit point: before it there is no dataset folder, after it a complete one.
    await fs.rename(extracted, target);
    return target;
  } finally {
    await fs.rm(archivePath, { force: true });
    await fs.rm(temporary, { recursive: true, force: true });
  }
}

/** Streams the response body to `file`; returns the md5 of what was written, hex. */
async function fetchToFile(
  url: string,
  file: string,
  destination: string,
  signal: AbortSignal | undefined,
  onProgress: DownloadCifar10Options['onProgress'],
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ?? null });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new DatasetError(
      `Cannot download CIFAR-10 from ${url}: ${describeFailure(error)}. This machine may have no internet access: ` +
        `download cifar-10-binary.tar.gz elsewhere and extract it into ${destination}, or train on an image ` +
        `folder (--data <dir>).`,
      { cause: error },
    );
  }
  if (!response.ok || response.body === null) {
    throw new DatasetError(
      `Cannot download CIFAR-10 from ${url}: the server answered ${response.status} ${response.statusText}. ` +
        `Download cifar-10-binary.tar.gz elsewhere and extract it into ${destination}, or pass another --url.`,
    );
  }
  const lengthHeader = Number(response.headers.get('content-length'));
  const totalBytes = Number.isInteger(lengthHeader) && lengthHeader > 0 ? lengthHeader : null;
  const hash = createHash('md5');
  let receivedBytes = 0;
  const reader = response.body.getReader();
  const handle = await fs.open(file, 'w');
  try {
    for (;;) {
      // fetch's body stream yields Uint8Array chunks; its type says any.
      let chunk: Uint8Array | undefined;
      try {
        chunk = (await reader.read()).value as Uint8Array | undefined;
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new DatasetError(
          `Download of CIFAR-10 from ${url} failed after ${receivedBytes} bytes: ${describeFailure(error)}.`,
          { cause: error },
        );
      }
      if (chunk === undefined) break;
      hash.update(chunk);
      await handle.write(chunk);
      receivedBytes += chunk.byteLength;
      onProgress?.(receivedBytes, totalBytes);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** fetch reports network failures as "fetch failed" with the system error (ECONNREFUSED, ENOTFOUND) as cause. */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const reason = cause instanceof Error ? cause : error;
  return reason instanceof Error ? reason.message : String(reason);
}

async function exists(location: string): Promise<boolean> {
  try {
    await fs.lstat(location);
    return true;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return false;
    throw new DatasetError(`Cannot read ${location}.`, { cause: error });
  }
}
