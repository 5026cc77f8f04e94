// A saved model or checkpoint read from a tar archive of its directory (the API's checkpoint download, or `tar -cf`),
// in memory and without extracting it: model.json and the files beside it, found at the archive's top or in its one
// top folder. Plain ustar, GNU and pax archives (POSIX.1-2017 "pax"), optionally gzip-compressed (RFC 1952).
import * as fs from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { readTarEntries } from './data/extract-tar.js';
import { DatasetError } from './data/image-dataset.js';
import { ModelDirectoryError } from './model-directory.js';

const MODEL_JSON = 'model.json';
/** Offset and text of the magic field that every ustar, GNU and pax header has ("ustar\0" or "ustar  "). */
const USTAR_MAGIC_OFFSET = 257;
const USTAR_MAGIC = 'ustar';

export interface ModelArchive {
  /** The archive file, as given. */
  readonly archive: string;
  /** The folder in the archive that holds model.json: '' at the top, else its name (e.g. 'epoch-0003'). */
  readonly folder: string;
  /** The regular files of that folder (not of its subfolders), by name; views into the archive's bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Reads `file` as a tar archive (gzip-compressed or not) holding one saved model: exactly one model.json, at the top
 * (`model.json`, `./model.json`) or one folder down (`epoch-0003/model.json`, as the API's download names it).
 */
export async function readModelArchive(file: string): Promise<ModelArchive> {
  let bytes: Uint8Array = await fs.readFile(file);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new ModelDirectoryError(`${file} starts as gzip but cannot be decompressed.`, { cause: error });
    }
  }
  if (!isTar(bytes)) {
    throw new ModelDirectoryError(
      `${file} is neither a model directory nor a tar archive of one (no ustar header): give the checkpoint's ` +
        'directory or the .tar its download gives.',
    );
  }
  const files: { folder: string; name: string; data: Uint8Array }[] = [];
  try {
    for (const entry of readTarEntries(bytes, file)) {
      if (entry.type !== 'file') continue;
      const segments = entry.path.split('/').filter((segment) => segment !== '' && segment !== '.');
      if (segments.length === 0 || segments.length > 2) continue;
      files.push({ folder: segments.length === 2 ? segments[0]! : '', name: segments.at(-1)!, data: entry.data });
    }
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    throw new ModelDirectoryError(error.message, { cause: error });
  }
  const modelJsons = files.filter((candidate) => candidate.name === MODEL_JSON);
  if (modelJsons.length !== 1) {
    const found = modelJsons.map((candidate) => pathOf(candidate.folder, MODEL_JSON));
    throw new ModelDirectoryError(
      `${file} holds ${modelJsons.length === 0 ? 'no' : `${modelJsons.length} (${found.join(', ')})`} ` +
        `${MODEL_JSON} at its top or in a top folder: expected one saved model.`,
    );
  }
  const { folder } = modelJsons[0]!;
  return {
    archive: file,
    folder,
    files: new Map(files.filter((candidate) => candidate.folder === folder).map(({ name, data }) => [name, data])),
  };
}

/** `folder/name`, or `name` at the archive's top. */
export function pathOf(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function isTar(bytes: Uint8Array): boolean {
  if (bytes.byteLength < USTAR_MAGIC_OFFSET + USTAR_MAGIC.length) return false;
  const magic = bytes.subarray(USTAR_MAGIC_OFFSET, USTAR_MAGIC_OFFSET + USTAR_MAGIC.length);
  return Buffer.from(magic).toString('latin1') === USTAR_MAGIC;
}
