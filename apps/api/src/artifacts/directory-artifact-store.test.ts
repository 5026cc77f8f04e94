import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryArtifactStore } from './directory-artifact-store.js';

let temporary: string;
let root: string;
let store: DirectoryArtifactStore;

beforeEach(async () => {
  temporary = await fs.mkdtemp(path.join(os.tmpdir(), 'directory-artifact-store-'));
  root = path.join(temporary, 'artifacts');
  store = new DirectoryArtifactStore(root);
});

afterEach(async () => {
  await fs.rm(temporary, { recursive: true, force: true });
});

/** Writes a checkpoint directory under the store's root: model.json and weights.bin. */
async function writeCheckpoint(key: string, weights: Buffer): Promise<void> {
  const directory = path.join(root, ...key.split('/'));
  await fs.mkdir(directory, { recursive: true });
  await fs.writeFile(path.join(directory, 'model.json'), '{"format":"layers-model"}');
  await fs.writeFile(path.join(directory, 'weights.bin'), weights);
}

async function readTree(directory: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const entry of await fs.readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    tree[path.relative(directory, file)] = await fs.readFile(file, 'utf8');
  }
  return tree;
}

describe('DirectoryArtifactStore', () => {
  it('describes itself by its root', () => {
    expect(store.description).toBe(`directory ${root}`);
    expect(new DirectoryArtifactStore('relative/artifacts').root).toBe(path.resolve('relative/artifacts'));
  });

  it('resolves keys under the root and turns local paths back into keys', () => {
    const key = 'runs/run-1/checkpoints/epoch-0003';
    const local = path.join(root, 'runs', 'run-1', 'checkpoints', 'epoch-0003');
    expect(store.resolve(key)).toBe(local);
    expect(store.keyOf(local)).toBe(key);
    expect(store.keyOf(store.resolve('registry/m/v1'))).toBe('registry/m/v1');
    expect(store.keyOf(path.join(root, '..hidden'))).toBe('..hidden');
  });

  it('passes absolute paths through: legacy rows and CLI-tracked runs', () => {
    expect(store.resolve('/home/someone/runs/epoch-0001')).toBe('/home/someone/runs/epoch-0001');
    expect(store.keyOf('/home/someone/runs/epoch-0001')).toBe('/home/someone/runs/epoch-0001');
    expect(store.keyOf(path.join(temporary, 'artifacts-2', 'a'))).toBe(path.join(temporary, 'artifacts-2', 'a'));
    expect(store.keyOf(path.join(root, '..', 'elsewhere'))).toBe(path.join(temporary, 'elsewhere'));
    // The root itself is no key.
    expect(store.keyOf(root)).toBe(root);
  });

  it('rejects invalid keys, naming them, and absolute paths where only keys make sense', async () => {
    expect(() => store.resolve('runs/../..')).toThrow(`Invalid artifact key "runs/../..": it has a '..' segment.`);
    await expect(store.exists('runs//a')).rejects.toThrow('Invalid artifact key "runs//a": it has an empty segment.');
    await expect(store.copy('/tmp/a', 'registry/m/v1')).rejects.toThrow(
      'Invalid artifact key "/tmp/a": it is absolute.',
    );
    // Above all, remove never takes the whole store.
    await expect(store.remove('')).rejects.toThrow('Invalid artifact key "": it is empty.');
    await expect(store.list('/tmp')).rejects.toThrow('Invalid artifact key "/tmp": it is absolute.');
    await expect(store.sizeOf('/tmp')).rejects.toThrow('Invalid artifact key "/tmp": it is absolute.');
  });

  it('tells whether a key exists, for keys and absolute paths', async () => {
    await writeCheckpoint('runs/r/checkpoints/epoch-0001', Buffer.from([1, 2, 3]));
    expect(await store.exists('runs/r/checkpoints/epoch-0001')).toBe(true);
    expect(await store.exists('runs/r/checkpoints/epoch-0001/model.json')).toBe(true);
    expect(await store.exists('runs/r/checkpoints/epoch-0002')).toBe(false);
    // A path through a file is missing too, not an error.
    expect(await store.exists('runs/r/checkpoints/epoch-0001/model.json/x')).toBe(false);
    expect(await store.exists(path.join(root, 'runs', 'r'))).toBe(true);
    expect(await store.exists(path.join(temporary, 'nowhere'))).toBe(false);
  });

  it('removes a directory recursively, and removing it again does nothing', async () => {
    await writeCheckpoint('runs/r/checkpoints/epoch-0001', Buffer.from([1, 2, 3]));
    await store.remove('runs/r/checkpoints/epoch-0001');
    expect(await store.exists('runs/r/checkpoints/epoch-0001')).toBe(false);
    expect(await store.list('runs/r/checkpoints')).toEqual([]);
    await store.remove('runs/r/checkpoints/epoch-0001');
    await store.remove('never/written');
    // Before any write the root does not exist; removing under it is still fine.
    await new DirectoryArtifactStore(path.join(temporary, 'absent')).remove('runs/r');
  });

  it('removes absolute paths too', async () => {
    const legacy = path.join(temporary, 'legacy', 'epoch-0001');
    await fs.mkdir(legacy, { recursive: true });
    await fs.writeFile(path.join(legacy, 'model.json'), '{}');
    await store.remove(legacy);
    expect(await store.exists(legacy)).toBe(false);
  });

  it("lists a directory's children as keys, sorted, and [] when it is absent", async () => {
    for (const epoch of ['epoch-0010', 'epoch-0002', 'epoch-0001']) {
      await writeCheckpoint(`runs/r/checkpoints/${epoch}`, Buffer.alloc(1));
    }
    expect(await store.list('runs/r/checkpoints')).toEqual([
      'runs/r/checkpoints/epoch-0001',
      'runs/r/checkpoints/epoch-0002',
      'runs/r/checkpoints/epoch-0010',
    ]);
    expect(await store.list('runs/r/checkpoints/epoch-0001')).toEqual([
      'runs/r/checkpoints/epoch-0001/model.json',
      'runs/r/checkpoints/epoch-0001/weights.bin',
    ]);
    expect(await store.list('runs/other')).toEqual([]);
  });

  it("measures the bytes of a directory's files, recursively", async () => {
    await writeCheckpoint('runs/r/checkpoints/epoch-0001', Buffer.alloc(1000));
    await fs.mkdir(store.resolve('runs/r/checkpoints/epoch-0001/extra'));
    await fs.writeFile(store.resolve('runs/r/checkpoints/epoch-0001/extra/notes.txt'), 'twelve bytes');
    // model.json is 25 bytes.
    expect(await store.sizeOf('runs/r/checkpoints/epoch-0001')).toBe(25 + 1000 + 12);
    expect(await store.sizeOf('runs/r/checkpoints/epoch-0001/weights.bin')).toBe(1000);
    expect(await store.sizeOf('runs')).toBe(25 + 1000 + 12);
    await expect(store.sizeOf('runs/none')).rejects.toThrow(
      `ENOENT: no such file or directory, lstat '${root}/runs/none'`,
    );
  });

  describe('copy', () => {
    it('copies a directory whole, creating the parents of the destination', async () => {
      await writeCheckpoint('runs/r/checkpoints/epoch-0003', Buffer.from('weights'));
      await fs.mkdir(store.resolve('runs/r/checkpoints/epoch-0003/nested'));
      await fs.writeFile(store.resolve('runs/r/checkpoints/epoch-0003/nested/a.txt'), 'a');
      expect(await store.exists('registry')).toBe(false);
      await store.copy('runs/r/checkpoints/epoch-0003', 'registry/cifar-resnet/v1');
      expect(await readTree(store.resolve('registry/cifar-resnet/v1'))).toEqual({
        'model.json': '{"format":"layers-model"}',
        'weights.bin': 'weights',
        'nested/a.txt': 'a',
      });
      // Only the destination appears beside it: the temporary copy was renamed into place.
      expect(await fs.readdir(store.resolve('registry/cifar-resnet'))).toEqual(['v1']);
      // The source is untouched.
      expect(await store.sizeOf('runs/r/checkpoints/epoch-0003')).toBe(25 + 7 + 1);
    });

    it('leaves nothing under the destination when the copy fails midway', async () => {
      await writeCheckpoint('runs/r/checkpoints/epoch-0003', Buffer.alloc(4096));
      // fs.cp copies regular files but refuses a named pipe, wherever it meets it.
      execFileSync('mkfifo', [store.resolve('runs/r/checkpoints/epoch-0003/pipe')]);
      const error = await store
        .copy('runs/r/checkpoints/epoch-0003', 'registry/m/v1')
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        message: `Cannot copy artifact "runs/r/checkpoints/epoch-0003" to "registry/m/v1" in directory ${root}.`,
        cause: { code: 'ERR_FS_CP_FIFO_PIPE' },
      });
      expect(await store.exists('registry/m/v1')).toBe(false);
      expect(await fs.readdir(store.resolve('registry/m'))).toEqual([]);
    });

    it("replaces a crashed copy's leftover, which list never shows", async () => {
      await writeCheckpoint('runs/r/checkpoints/epoch-0003', Buffer.from('weights'));
      const leftover = store.resolve('registry/m/.v1.partial-0b6f1c52-3c1e-4c55-9d0c-2b8f2f6f9c11');
      await fs.mkdir(leftover, { recursive: true });
      await fs.writeFile(path.join(leftover, 'model.json'), '{"half":');
      expect(await store.list('registry/m')).toEqual([]);
      expect(await store.exists('registry/m/v1')).toBe(false);

      await store.copy('runs/r/checkpoints/epoch-0003', 'registry/m/v1');
      expect(await fs.readdir(store.resolve('registry/m'))).toEqual(['v1']);
      expect(await readTree(store.resolve('registry/m/v1'))).toEqual({
        'model.json': '{"format":"layers-model"}',
        'weights.bin': 'weights',
      });
      expect(await store.list('registry/m')).toEqual(['registry/m/v1']);
    });

    it('never shows a partial destination while copying, even to concurrent copies', async () => {
      await writeCheckpoint('runs/r/checkpoints/epoch-0001', Buffer.alloc(1 << 20, 1));
      await writeCheckpoint('runs/r/checkpoints/epoch-0002', Buffer.alloc(1 << 20, 2));
      const results = await Promise.allSettled([
        store.copy('runs/r/checkpoints/epoch-0001', 'registry/m/v1'),
        store.copy('runs/r/checkpoints/epoch-0002', 'registry/m/v1'),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const weights = await fs.readFile(store.resolve('registry/m/v1/weights.bin'));
      expect(weights.length).toBe(1 << 20);
      expect(new Set(weights).size).toBe(1);
      expect(await fs.readdir(store.resolve('registry/m'))).toEqual(['v1']);
    });

    it('refuses an existing destination, a missing source and a file, naming them', async () => {
      await writeCheckpoint('runs/r/checkpoints/epoch-0001', Buffer.alloc(1));
      await store.copy('runs/r/checkpoints/epoch-0001', 'registry/m/v1');
      const failure = `Cannot copy artifact "runs/r/checkpoints/epoch-0001" to "registry/m/v1" in directory ${root}`;
      await expect(store.copy('runs/r/checkpoints/epoch-0001', 'registry/m/v1')).rejects.toThrow(
        `${failure}: "registry/m/v1" already exists; remove it first.`,
      );
      await expect(store.copy('runs/r/checkpoints/epoch-0009', 'registry/m/v2')).rejects.toThrow(
        `Cannot copy artifact "runs/r/checkpoints/epoch-0009" to "registry/m/v2" in directory ${root}: ` +
          '"runs/r/checkpoints/epoch-0009" does not exist.',
      );
      await expect(store.copy('runs/r/checkpoints/epoch-0001/model.json', 'registry/m/v2')).rejects.toThrow(
        `Cannot copy artifact "runs/r/checkpoints/epoch-0001/model.json" to "registry/m/v2" in directory ${root}: ` +
          '"runs/r/checkpoints/epoch-0001/model.json" is not a directory.',
      );
      expect(await store.list('registry/m')).toEqual(['registry/m/v1']);
    });
  });

  it('archives a key under a folder named after its last segment, and an absolute path likewise', async () => {
    await writeCheckpoint('runs/r/checkpoints/epoch-0003', Buffer.from('weights'));
    const archive = await buffer(store.tar('runs/r/checkpoints/epoch-0003'));
    expect(execFileSync('tar', ['-tf', '-'], { input: archive, encoding: 'utf8' })).toBe(
      'epoch-0003/model.json\nepoch-0003/weights.bin\n',
    );
    const absolute = await buffer(store.tar(store.resolve('runs/r/checkpoints/epoch-0003')));
    expect(absolute.equals(archive)).toBe(true);
  });
});
