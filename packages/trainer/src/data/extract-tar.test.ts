import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTar, readTarEntries } from './extract-tar.js';
import { DatasetError } from './image-dataset.js';

/** A ustar archive written by hand, for entries system tar refuses to create. */
function tarArchive(entries: { name: string; type?: string; data?: string; linkName?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { name, type = '0', data = '', linkName = '' } of entries) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${Buffer.byteLength(data).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write(type, 156);
    header.write(linkName, 157);
    header.write('ustar\0' + '00', 257);
    header.write('        ', 148);
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
    const body = Buffer.alloc(Math.ceil(Buffer.byteLength(data) / 512) * 512);
    body.write(data);
    blocks.push(header, body);
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

let directory: string;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'extract-tar-'));
});
afterEach(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('extractTar', () => {
  it.each(['gnu', 'ustar', 'pax'])('extracts files and folders written by system tar in %s format', async (format) => {
    const source = path.join(directory, 'source');
    // 120 characters: beyond the 100 of the name field, so each format stores it its own way.
    const longFolder = `deep/${'x'.repeat(60)}/${'y'.repeat(50)}`;
    await fs.mkdir(path.join(source, 'data', longFolder), { recursive: true });
    await fs.mkdir(path.join(source, 'data', 'empty'));
    await fs.writeFile(path.join(source, 'data', 'a.bin'), Buffer.alloc(1500, 7));
    await fs.writeFile(path.join(source, 'data', longFolder, 'b.txt'), 'hello');
    const archive = path.join(directory, 'archive.tar');
    execFileSync('tar', [`--format=${format}`, '-cf', archive, '-C', source, 'data']);

    const target = path.join(directory, 'target');
    await extractTar(await fs.readFile(archive), target, 'archive.tar');
    expect(await fs.readFile(path.join(target, 'data', 'a.bin'))).toEqual(Buffer.alloc(1500, 7));
    expect(await fs.readFile(path.join(target, 'data', longFolder, 'b.txt'), 'utf8')).toBe('hello');
    expect(await fs.readdir(path.join(target, 'data', 'empty'))).toEqual([]);
  });

  it.each(['../escape.txt', '/tmp/absolute.txt', 'inside/../../escape.txt'])(
    'refuses the path %s, writing nothing outside the destination',
    async (name) => {
      const archive = tarArchive([
        { name: 'first.txt', data: 'ok' },
        { name, data: 'evil' },
      ]);
      const target = path.join(directory, 'target');
      await expect(extractTar(archive, target, 'evil.tar')).rejects.toThrow(
        new DatasetError(
          `evil.tar holds the path '${name}', which would be extracted outside ${target}: only relative paths ` +
            "without '..' are allowed.",
        ),
      );
      expect(await fs.readdir(directory)).toEqual(['target']);
    },
  );

  it('refuses links', async () => {
    const archive = tarArchive([{ name: 'link', type: '2', linkName: '/etc/passwd' }]);
    await expect(extractTar(archive, directory, 'links.tar')).rejects.toThrow(
      "links.tar holds 'link', a symbolic link: only regular files and directories can be extracted.",
    );
  });

  it('reports a corrupt header and a truncated archive', () => {
    const archive = tarArchive([{ name: 'a.txt', data: 'x'.repeat(600) }]);
    const corrupt = Buffer.from(archive);
    corrupt[0] = 'b'.charCodeAt(0);
    expect(() => [...readTarEntries(corrupt, 'corrupt.tar')]).toThrow(
      /^corrupt.tar is not a valid tar archive: the header at byte 0 has checksum \d+, computed \d+\.$/,
    );
    expect(() => [...readTarEntries(archive.subarray(0, 1000), 'cut.tar')]).toThrow(
      'cut.tar is truncated: the entry at byte 0 needs 600 bytes of data.',
    );
  });

  it('lists entries in archive order with their data', () => {
    const entries = [
      ...readTarEntries(
        tarArchive([
          { name: 'd/', type: '5' },
          { name: 'd/f', data: 'abc' },
        ]),
        't',
      ),
    ];
    expect(entries.map(({ path, type, data }) => [path, type, Buffer.from(data).toString()])).toEqual([
      ['d/', 'directory', ''],
      ['d/f', 'file', 'abc'],
    ]);
  });
});
