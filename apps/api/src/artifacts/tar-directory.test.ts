import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarDirectory } from './tar-directory.js';

const LONG_DIRECTORY = 'a-directory-whose-name-is-long-enough-to-push-the-archived-path-past-one-hundred-bytes';
const LONG_PATH = `${LONG_DIRECTORY}/weights-of-layer1.0.conv1.bin`;
const MODIFIED = new Date('2024-01-02T03:04:05Z');

let temporary: string;
let checkpoint: string;
let files: Record<string, Buffer>;

beforeEach(async () => {
  temporary = await fs.mkdtemp(path.join(os.tmpdir(), 'tar-directory-'));
  checkpoint = path.join(temporary, 'epoch-0003');
  files = {
    [LONG_PATH]: pattern(1000),
    'block.bin': pattern(512),
    'empty.bin': Buffer.alloc(0),
    'model.json': Buffer.from('{"format":"layers-model","weights":1}'),
  };
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(checkpoint, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
    await fs.utimes(file, MODIFIED, MODIFIED);
  }
  // Not a regular file: left out.
  await fs.symlink('model.json', path.join(checkpoint, 'latest.json'));
});

afterEach(async () => {
  await fs.rm(temporary, { recursive: true, force: true });
});

/** Bytes that differ from block to block, so that a misplaced block shows. */
function pattern(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index * 7 + Math.floor(index / 512)) % 251));
}

function field(header: Buffer, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString('utf8');
}

describe('tarDirectory', () => {
  it('lays out headers, data padded to 512 bytes and two zero blocks, sorted by path', async () => {
    expect(Buffer.byteLength(`epoch-0003/${LONG_PATH}`)).toBeGreaterThan(100);
    const archive = await buffer(tarDirectory(checkpoint, 'epoch-0003'));
    // 4 headers, 1000 bytes in 2 blocks, 512 in 1, 0 in none, 37 in 1, then the 2 end blocks.
    expect(archive.length).toBe(512 * (4 + 2 + 1 + 0 + 1 + 2));

    const headerOffsets = [0, 512 * 3, 512 * 5, 512 * 6];
    const headers = headerOffsets.map((offset) => archive.subarray(offset, offset + 512));
    expect(headers.map((header) => [field(header, 345, 155), field(header, 0, 100)])).toEqual([
      [`epoch-0003/${LONG_DIRECTORY}`, 'weights-of-layer1.0.conv1.bin'],
      ['', 'epoch-0003/block.bin'],
      ['', 'epoch-0003/empty.bin'],
      ['', 'epoch-0003/model.json'],
    ]);
    const first = headers[0] as Buffer;
    expect({
      mode: field(first, 100, 8),
      uid: field(first, 108, 8),
      size: field(first, 124, 12),
      mtime: field(first, 136, 12),
      typeflag: field(first, 156, 1),
      magic: field(first, 257, 6),
      version: field(first, 263, 2),
    }).toEqual({
      mode: '0000644',
      uid: '0000000',
      size: '00000001750',
      mtime: (MODIFIED.getTime() / 1000).toString(8).padStart(11, '0'),
      typeflag: '0',
      magic: 'ustar',
      version: '00',
    });
    for (const header of headers) {
      const withBlankChecksum = Buffer.from(header).fill(' ', 148, 156);
      const sum = withBlankChecksum.reduce((total, byte) => total + byte, 0);
      expect(header.subarray(148, 156).toString('latin1')).toBe(`${sum.toString(8).padStart(6, '0')}\0 `);
    }
    expect(archive.subarray(512, 512 + 1000).equals(files[LONG_PATH] as Buffer)).toBe(true);
    expect(archive.subarray(512 + 1000, 512 * 3).equals(Buffer.alloc(24))).toBe(true);
    expect(archive.subarray(archive.length - 1024).equals(Buffer.alloc(1024))).toBe(true);
  });

  it('is listed in order by the system tar', async () => {
    const archive = await buffer(tarDirectory(checkpoint, 'epoch-0003'));
    const listing = execFileSync('tar', ['-tvf', '-'], {
      input: archive,
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(
      listing
        .trimEnd()
        .split('\n')
        .map((line) => line.split(/\s+/)),
    ).toEqual([
      ['-rw-r--r--', '0/0', '1000', '2024-01-02', '03:04', `epoch-0003/${LONG_PATH}`],
      ['-rw-r--r--', '0/0', '512', '2024-01-02', '03:04', 'epoch-0003/block.bin'],
      ['-rw-r--r--', '0/0', '0', '2024-01-02', '03:04', 'epoch-0003/empty.bin'],
      ['-rw-r--r--', '0/0', '37', '2024-01-02', '03:04', 'epoch-0003/model.json'],
    ]);
  });

  it('is extracted by the system tar into the same files, byte for byte', async () => {
    const archiveFile = path.join(temporary, 'checkpoint.tar');
    await fs.writeFile(archiveFile, tarDirectory(checkpoint, 'epoch-0003'));
    const extracted = path.join(temporary, 'extracted');
    await fs.mkdir(extracted);
    execFileSync('tar', ['-xf', archiveFile, '-C', extracted]);

    const found: Record<string, Buffer> = {};
    for (const entry of await fs.readdir(extracted, { recursive: true, withFileTypes: true })) {
      const file = path.join(entry.parentPath, entry.name);
      if (entry.isFile()) found[path.relative(extracted, file)] = await fs.readFile(file);
    }
    expect(found).toEqual(
      Object.fromEntries(Object.entries(files).map(([name, content]) => [`epoch-0003/${name}`, content])),
    );
  });

  it('archives an empty directory as the two end blocks', async () => {
    const empty = path.join(temporary, 'empty');
    await fs.mkdir(empty);
    expect((await buffer(tarDirectory(empty, 'empty'))).equals(Buffer.alloc(1024))).toBe(true);
  });

  it('fails before sending anything when a name cannot be split for ustar', async () => {
    const fileName = `${'w'.repeat(101)}.bin`;
    await fs.writeFile(path.join(checkpoint, fileName), 'x');
    const name = `epoch-0003/${fileName}`;
    const chunks = tarDirectory(checkpoint, 'epoch-0003')[Symbol.asyncIterator]();
    await expect(chunks.next()).rejects.toThrow(
      `Cannot archive "${name}" (116 bytes): ustar holds a name of at most 100 bytes after a '/', with at most ` +
        '155 bytes before it.',
    );
  });

  it('fails on a missing directory, naming it', async () => {
    await expect(buffer(tarDirectory(path.join(temporary, 'gone'), 'gone'))).rejects.toThrow(
      `ENOENT: no such file or directory, scandir '${path.join(temporary, 'gone')}'`,
    );
  });

  it.each(['', '.', '..', 'a/b'])('refuses the top folder name %j', (topName) => {
    expect(() => tarDirectory(checkpoint, topName)).toThrow(
      `Invalid top folder name ${JSON.stringify(topName)} for the archive of ${checkpoint}: it must be one path ` +
        "segment, not empty, '.' or '..'.",
    );
  });
});
