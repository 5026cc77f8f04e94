// A streaming writer of POSIX ustar archives (POSIX.1-2017, pax, "ustar Interchange Format") for one directory's
// regular files, so that a checkpoint downloads as one file with no dependency and no temporary copy.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

const BLOCK_BYTES = 512;
const NAME_BYTES = 100;
const PREFIX_BYTES = 155;
/** The largest size that the header's 11 octal digits hold: 8 GiB - 1. */
const MAX_FILE_BYTES = 8 ** 11 - 1;

interface ArchivedFile {
  /** The path under the directory, '/'-separated. */
  readonly relativePath: string;
  readonly localPath: string;
  readonly size: number;
  readonly mtimeSeconds: number;
}

/**
 * Streams a ustar archive of the regular files under `directory` (recursively, sorted by path), each named
 * `<topName>/<path>`. Symbolic links and other special files are left out. Every header is built before the first
 * byte, so a name or size that ustar cannot hold fails the stream before it has sent anything.
 */
export function tarDirectory(directory: string, topName: string): Readable {
  if (topName === '' || topName === '.' || topName === '..' || topName.includes('/') || topName.includes('\0')) {
    throw new Error(
      `Invalid top folder name ${JSON.stringify(topName)} for the archive of ${directory}: it must be one path ` +
        "segment, not empty, '.' or '..'.",
    );
  }
  return Readable.from(archiveChunks(directory, topName), { objectMode: false });
}

async function* archiveChunks(directory: string, topName: string): AsyncGenerator<Buffer> {
  const files = await regularFiles(directory, '');
  files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  const headers = files.map((file) => ustarHeader(`${topName}/${file.relativePath}`, file.size, file.mtimeSeconds));
  for (const [index, file] of files.entries()) {
    yield headers[index] as Buffer;
    let read = 0;
    if (file.size > 0) {
      // Reads no more than the header declares, so a file that grows meanwhile cannot break the archive's framing.
      for await (const chunk of createReadStream(file.localPath, { end: file.size - 1 }) as AsyncIterable<Buffer>) {
        read += chunk.length;
        yield chunk;
      }
    }
    if (read !== file.size) {
      throw new Error(
        `${file.localPath} shrank while being archived: ${file.size} bytes when listed, ${read} when read.`,
      );
    }
    const padding = (BLOCK_BYTES - (file.size % BLOCK_BYTES)) % BLOCK_BYTES;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  // The end of the archive: two zero blocks.
  yield Buffer.alloc(2 * BLOCK_BYTES);
}

async function regularFiles(directory: string, relativeDirectory: string): Promise<ArchivedFile[]> {
  const files: ArchivedFile[] = [];
  for (const entry of await fs.readdir(path.join(directory, relativeDirectory), { withFileTypes: true })) {
    const relativePath = relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`;
    if (entry.isDirectory()) {
      files.push(...(await regularFiles(directory, relativePath)));
    } else if (entry.isFile()) {
      const localPath = path.join(directory, relativePath);
      const stats = await fs.stat(localPath);
      files.push({
        relativePath,
        localPath,
        size: stats.size,
        mtimeSeconds: Math.max(0, Math.floor(stats.mtimeMs / 1000)),
      });
    }
  }
  return files;
}

/** The 512-byte header of a regular file: mode 0644, owner 0:0, the given size and modification time. */
function ustarHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  if (size > MAX_FILE_BYTES) {
    throw new Error(`Cannot archive ${JSON.stringify(name)}: it is ${size} bytes, over ustar's ${MAX_FILE_BYTES}.`);
  }
  const { prefix, last } = splitName(name);
  const header = Buffer.alloc(BLOCK_BYTES);
  header.write(last, 0, NAME_BYTES, 'utf8');
  writeOctal(header, 100, 8, 0o644); // mode
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, mtimeSeconds);
  header.write('0', 156, 'ascii'); // typeflag: regular file
  header.write('ustar\0', 257, 'ascii'); // magic
  header.write('00', 263, 'ascii'); // version
  writeOctal(header, 329, 8, 0); // devmajor
  writeOctal(header, 337, 8, 0); // devminor
  header.write(prefix, 345, PREFIX_BYTES, 'utf8');
  // The checksum is the sum of the header's bytes with its own field counted as eight spaces.
  header.fill(' ', 148, 156);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** Splits a name over 100 bytes at a '/' into ustar's prefix (at most 155 bytes) and name (at most 100). */
function splitName(name: string): { prefix: string; last: string } {
  if (Buffer.byteLength(name) <= NAME_BYTES) return { prefix: '', last: name };
  // The first '/' that leaves a short enough name gives the shortest prefix; if that is too long, all are.
  for (let slash = name.indexOf('/'); slash !== -1; slash = name.indexOf('/', slash + 1)) {
    const last = name.slice(slash + 1);
    if (Buffer.byteLength(last) > NAME_BYTES) continue;
    const prefix = name.slice(0, slash);
    if (Buffer.byteLength(prefix) <= PREFIX_BYTES) return { prefix, last };
    break;
  }
  throw new Error(
    `Cannot archive ${JSON.stringify(name)} (${Buffer.byteLength(name)} bytes): ustar holds a name of at most ` +
      `${NAME_BYTES} bytes after a '/', with at most ${PREFIX_BYTES} bytes before it.`,
  );
}

/** Octal digits, zero-padded to fill the field, then a NUL. */
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}
