import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readModelArchive } from './model-archive.js';
import { ModelDirectoryError, readModelArtifacts } from './model-directory.js';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'model-archive-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Writes `files` (relative path to text) under root/tree, then tars the tree's `members` as root/<name>. */
async function archive(name: string, files: Record<string, string>, members: string[] = ['.']): Promise<string> {
  const tree = path.join(root, 'tree');
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(tree, file)), { recursive: true });
    await fs.writeFile(path.join(tree, file), text);
  }
  const file = path.join(root, name);
  execFileSync('tar', ['--format=ustar', '-cf', file, '-C', tree, ...members]);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = await promise.then(
    () => expect.fail('expected a rejection'),
    (rejection: unknown) => rejection as Error,
  );
  expect(error).toBeInstanceOf(ModelDirectoryError);
  return { name: error.name, message: error.message };
}

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes!).toString('utf8');

describe('readModelArchive', () => {
  it('reads the files beside model.json in a top folder, leaving out deeper ones and other folders', async () => {
    const file = await archive(
      'download.tar',
      { 'epoch-0003/model.json': '{}', 'epoch-0003/weights.bin': 'w', 'epoch-0003/sub/x': 'x', 'other/y': 'y' },
      ['epoch-0003', 'other'],
    );
    const read = await readModelArchive(file);
    expect({ ...read, files: [...read.files.keys()].sort() }).toEqual({
      archive: file,
      folder: 'epoch-0003',
      files: ['model.json', 'weights.bin'],
    });
    expect(text(read.files.get('weights.bin'))).toBe('w');
  });

  it('reads model.json at the top, as `tar -C <dir> .` stores it, and a gzip-compressed archive', async () => {
    const file = await archive('flat.tar', { 'model.json': '{"a":1}', 'weights.bin': 'w' });
    const flat = await readModelArchive(file);
    expect([flat.folder, [...flat.files.keys()].sort()]).toEqual(['', ['model.json', 'weights.bin']]);
    const gzipped = path.join(root, 'flat.tar.gz');
    await fs.writeFile(gzipped, gzipSync(await fs.readFile(file)));
    expect(text((await readModelArchive(gzipped)).files.get('model.json'))).toBe('{"a":1}');
  });

  it('refuses an archive with no model.json near its top, or with two', async () => {
    const none = await archive('none.tar', { 'a/b/model.json': '{}' });
    expect(await failure(readModelArchive(none))).toEqual({
      name: 'ModelDirectoryError',
      message: `${none} holds no model.json at its top or in a top folder: expected one saved model.`,
    });
    const two = await archive('two.tar', { 'best/model.json': '{}', 'last/model.json': '{}' }, ['best', 'last']);
    expect(await failure(readModelArchive(two))).toEqual({
      name: 'ModelDirectoryError',
      message: `${two} holds 2 (best/model.json, last/model.json) model.json at its top or in a top folder: expected one saved model.`,
    });
  });

  it('refuses a file that is not a tar archive, a broken gzip stream and a damaged header', async () => {
    const notTar = path.join(root, 'model.json');
    await fs.writeFile(notTar, '{}');
    expect((await failure(readModelArchive(notTar))).message).toBe(
      `${notTar} is neither a model directory nor a tar archive of one (no ustar header): give the checkpoint's ` +
        'directory or the .tar its download gives.',
    );
    const brokenGzip = path.join(root, 'broken.tar.gz');
    await fs.writeFile(brokenGzip, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    expect((await failure(readModelArchive(brokenGzip))).message).toBe(
      `${brokenGzip} starts as gzip but cannot be decompressed.`,
    );
    const damaged = await archive('damaged.tar', { 'model.json': '{}' });
    const bytes = await fs.readFile(damaged);
    bytes[0] = bytes[0]! ^ 1; // the first header's name, so its checksum no longer holds
    await fs.writeFile(damaged, bytes);
    expect((await failure(readModelArchive(damaged))).message).toMatch(
      new RegExp(
        `^${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid tar archive: the header at byte 0 `,
      ),
    );
  });
});

describe('readModelArtifacts of an archive', () => {
  it('names the archive and the file in it when a weights file is missing', async () => {
    const modelJson = { modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] };
    const file = await archive('missing.tar', { 'last/model.json': JSON.stringify(modelJson) }, ['last']);
    expect(await failure(readModelArtifacts(file))).toEqual({
      name: 'ModelDirectoryError',
      message: `Cannot read weights file ${file} (last/weights.bin) named in model.json.`,
    });
  });
});
