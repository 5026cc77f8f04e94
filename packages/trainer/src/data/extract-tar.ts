// A small tar reader (POSIX ustar, with GNU long names and pax path records; IEEE Std 1003.1 "pax" format) that
// extracts regular files and directories and refuses links, devices and paths that would leave the destination.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { TextDecoder } from 'node:util';
import { DatasetError } from './image-dataset.js';

export interface TarEntry {
  /** `/`-separated path as stored in the archive. */
  readonly path: string;
  readonly type: 'file' | 'directory';
  /** The file's bytes (a view into the archive); empty for a directory. */
  readonly data: Uint8Array;
}

const BLOCK = 512;
const TYPE_NAMES: Readonly<Record<string, string>> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
};

/** The regular files and directories of an uncompressed tar archive, in archive order. `source` names it in errors. */
export function* readTarEntries(archive: Uint8Array, source: string): Generator<TarEntry> {
  const decoder = new TextDecoder();
  let longName: string | undefined;
  let paxPath: string | undefined;
  for (let offset = 0; offset + BLOCK <= archive.byteLength;) {
    const header = archive.subarray(offset, offset + BLOCK);
    // One zero block ends the archive (POSIX writes two; some writers stop after one).
    if (header.every((byte) => byte === 0)) return;
    checkHeaderChecksum(header, offset, source);

    const size = readOctal(header, 124, 12, offset, source);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.byteLength) {
      throw new DatasetError(`${source} is truncated: the entry at byte ${offset} needs ${size} bytes of data.`);
    }
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    const type = String.fromCharCode(header[156]!);
    if (type === 'L') {
      longName = readString(data, 0, data.byteLength, decoder);
      continue;
    }
    if (type === 'x') {
      paxPath = readPaxPath(data, decoder) ?? paxPath;
      continue;
    }
    if (type === 'g') continue;

    const entryPath = paxPath ?? longName ?? storedName(header, decoder);
    longName = undefined;
    paxPath = undefined;
    if (type === '0' || type === '\0' || type === '7') {
      yield { path: entryPath, type: 'file', data };
    } else if (type === '5') {
      yield { path: entryPath, type: 'directory', data: new Uint8Array(0) };
    } else {
      throw new DatasetError(
        `${source} holds '${entryPath}', a ${TYPE_NAMES[type] ?? `type '${type}' entry`}: only regular files and ` +
          `directories can be extracted.`,
      );
    }
  }
}

/**
 * Writes every entry of `archive` under `directory`. An absolute path or one with a `..` segment is refused before
 * anything outside could be written.
 */
export async function extractTar(archive: Uint8Array, directory: string, source: string): Promise<void> {
  const root = path.resolve(directory);
  for (const entry of readTarEntries(archive, source)) {
    const target = safeTarget(root, entry.path, source);
    if (target === root) continue;
    if (entry.type === 'directory') {
      await fs.mkdir(target, { recursive: true });
    } else {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, entry.data);
    }
  }
}

function safeTarget(root: string, entryPath: string, source: string): string {
  const segments = entryPath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (
    entryPath.startsWith('/') ||
    /^[A-Za-z]:/.test(entryPath) ||
    entryPath.includes('\\') ||
    segments.includes('..')
  ) {
    throw new DatasetError(
      `${source} holds the path '${entryPath}', which would be extracted outside ${root}: only relative paths ` +
        `without '..' are allowed.`,
    );
  }
  const target = path.join(root, ...segments);
  if (target !== root && !target.startsWith(root + path.sep)) {
    throw new DatasetError(`${source} holds the path '${entryPath}', which would be extracted outside ${root}.`);
  }
  return target;
}

function storedName(header: Uint8Array, decoder: TextDecoder): string {
  const name = readString(header, 0, 100, decoder);
  // POSIX ustar ("ustar\0") splits long paths into prefix/name; GNU ("ustar  ") uses the prefix field otherwise.
  const posix = header[257] === 0x75 && header[262] === 0 && header[263] === 0x30 && header[264] === 0x30;
  const prefix = posix ? readString(header, 345, 155, decoder) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

function checkHeaderChecksum(header: Uint8Array, offset: number, source: string): void {
  const stored = readOctal(header, 148, 8, offset, source);
  let sum = 0;
  for (let index = 0; index < BLOCK; index++) sum += index >= 148 && index < 156 ? 0x20 : header[index]!;
  if (sum !== stored) {
    throw new DatasetError(
      `${source} is not a valid tar archive: the header at byte ${offset} has checksum ${stored}, computed ${sum}.`,
    );
  }
}

/** An octal number field, NUL- or space-terminated. Base-256 sizes (files over 8 GB) are not supported. */
function readOctal(header: Uint8Array, start: number, length: number, offset: number, source: string): number {
  const text = String.fromCharCode(...header.subarray(start, start + length))
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]*$/.test(text)) {
    throw new DatasetError(
      `${source} is not a valid tar archive: the header at byte ${offset} has '${text}' where an octal number ` +
        `belongs (byte ${start}).`,
    );
  }
  return text === '' ? 0 : parseInt(text, 8);
}

function readString(bytes: Uint8Array, start: number, length: number, decoder: TextDecoder): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

/** The `path` record of a pax extended header ("<length> path=<value>\n" records), if any. */
function readPaxPath(data: Uint8Array, decoder: TextDecoder): string | undefined {
  let found: string | undefined;
  let position = 0;
  while (position < data.byteLength) {
    const space = data.indexOf(0x20, position);
    if (space === -1) break;
    const length = Number(decoder.decode(data.subarray(position, space)));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = decoder.decode(data.subarray(space + 1, position + length - 1));
    if (record.startsWith('path=')) found = record.slice('path='.length);
    position += length;
  }
  return found;
}
