import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCifar10Binary, writeCifar10Binary } from './cifar10-binary.js';
import { downloadCifar10 } from './download-cifar10.js';
import { DatasetError } from './image-dataset.js';
import { makeSyntheticDataset } from './synthetic-dataset.js';

const splits = makeSyntheticDataset({ classes: 3, trainCount: 6, testCount: 2, seed: 3 });
let directory: string;
let server: http.Server;
let baseUrl: string;
let archiveMd5: string;
let archiveSize: number;
let otherMd5: string;
let requests: string[];

/** Serves `files` (URL path -> bytes) from 127.0.0.1 on a free port; anything else is a 404. */
async function serve(files: Record<string, Buffer>): Promise<void> {
  server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    const body = files[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-length': body.byteLength }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'download-cifar10-'));
  await writeCifar10Binary(path.join(directory, 'source', 'cifar-10-batches-bin'), splits);
  const archive = path.join(directory, 'cifar-10-binary.tar.gz');
  execFileSync('tar', ['-czf', archive, '-C', path.join(directory, 'source'), 'cifar-10-batches-bin']);
  const archiveBytes = await fs.readFile(archive);
  archiveMd5 = createHash('md5').update(archiveBytes).digest('hex');
  await fs.mkdir(path.join(directory, 'other'));
  await fs.writeFile(path.join(directory, 'other', 'readme.txt'), 'not CIFAR');
  const otherArchive = path.join(directory, 'other.tar.gz');
  execFileSync('tar', ['-czf', otherArchive, '-C', path.join(directory, 'other'), 'readme.txt']);
  const otherBytes = await fs.readFile(otherArchive);
  await serve({ '/cifar-10-binary.tar.gz': archiveBytes, '/other.tar.gz': otherBytes });
  otherMd5 = createHash('md5').update(otherBytes).digest('hex');
  archiveSize = archiveBytes.byteLength;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(directory, { recursive: true, force: true });
});

let destination: string;
beforeEach(async () => {
  requests = [];
  destination = await fs.mkdtemp(path.join(directory, 'destination-'));
});

describe('downloadCifar10', () => {
  it('downloads, verifies and extracts the archive into a folder readCifar10Binary reads', async () => {
    const progress: [number, number | null][] = [];
    const folder = await downloadCifar10(destination, {
      url: `${baseUrl}/cifar-10-binary.tar.gz`,
      md5: archiveMd5,
      onProgress: (received, total) => progress.push([received, total]),
    });
    expect(folder).toBe(path.join(destination, 'cifar-10-batches-bin'));
    expect(await readCifar10Binary(folder)).toEqual(splits);
    expect(progress.at(-1)).toEqual([archiveSize, archiveSize]);
    // No temporary archive or extraction folder is left behind.
    expect(await fs.readdir(destination)).toEqual(['cifar-10-batches-bin']);

    // A complete dataset is not downloaded again.
    expect(await downloadCifar10(destination, { url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: archiveMd5 })).toBe(
      folder,
    );
    expect(requests).toEqual(['/cifar-10-binary.tar.gz']);
  });

  it('rejects an archive whose md5 differs, leaving nothing behind', async () => {
    const url = `${baseUrl}/cifar-10-binary.tar.gz`;
    await expect(downloadCifar10(destination, { url, md5: '0'.repeat(32) })).rejects.toThrow(
      new DatasetError(
        `The archive downloaded from ${url} is corrupt or not the expected file: its md5 is ${archiveMd5}, ` +
          `expected ${'0'.repeat(32)}.`,
      ),
    );
    expect(await fs.readdir(destination)).toEqual([]);
  });

  it('rejects an archive without cifar-10-batches-bin/', async () => {
    const url = `${baseUrl}/other.tar.gz`;
    await expect(downloadCifar10(destination, { url, md5: otherMd5 })).rejects.toThrow(
      `The archive downloaded from ${url} does not hold cifar-10-batches-bin/ with batches.meta.txt, ` +
        'data_batch_1.bin ... data_batch_5.bin and test_batch.bin.',
    );
    expect(await fs.readdir(destination)).toEqual([]);
  });

  it('says the machine may be offline when the server cannot be reached', async () => {
    // A port that was just free and is now closed: the connection is refused at once.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`;

    await expect(downloadCifar10(destination, { url })).rejects.toThrow(
      new DatasetError(
        `Cannot download CIFAR-10 from ${url}: connect ECONNREFUSED 127.0.0.1:${port}. This machine may have no ` +
          `internet access: download cifar-10-binary.tar.gz elsewhere and extract it into ${destination}, or train ` +
          'on an image folder (--data <dir>).',
      ),
    );
  });

  it('reports an HTTP error status', async () => {
    const url = `${baseUrl}/missing.tar.gz`;
    await expect(downloadCifar10(destination, { url })).rejects.toThrow(
      `Cannot download CIFAR-10 from ${url}: the server answered 404 Not Found. Download cifar-10-binary.tar.gz ` +
        `elsewhere and extract it into ${destination}, or pass another --url.`,
    );
  });

  it('stops when its signal is aborted, without wrapping the abort', async () => {
    const controller = new AbortController();
    controller.abort();
    const download = downloadCifar10(destination, {
      url: `${baseUrl}/cifar-10-binary.tar.gz`,
      signal: controller.signal,
    });
    await expect(download).rejects.toMatchObject({ name: 'AbortError' });
    expect(await fs.readdir(destination)).toEqual([]);
  });

  it('refuses to replace an incomplete dataset folder', async () => {
    await fs.mkdir(path.join(destination, 'cifar-10-batches-bin'));
    await expect(downloadCifar10(destination, { url: `${baseUrl}/cifar-10-binary.tar.gz` })).rejects.toThrow(
      `${path.join(destination, 'cifar-10-batches-bin')} exists but does not hold the complete CIFAR-10 binary ` +
        'dataset: remove it and download again.',
    );
    expect(requests).toEqual([]);
  });
});
