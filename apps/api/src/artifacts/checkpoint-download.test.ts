import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointDownloadPath,
  parseCheckpointDownloadPath,
  sendCheckpointDownload,
  type DownloadableCheckpoint,
} from './checkpoint-download.js';
import type { ArtifactStore } from './artifact-store.js';
import { DirectoryArtifactStore } from './directory-artifact-store.js';

const CHECKPOINTS: readonly DownloadableCheckpoint[] = [
  { id: 'c-3', epoch: 3, location: 'runs/r/checkpoints/epoch-0003', prunedAt: null },
  { id: 'c-1', epoch: 1, location: 'runs/r/checkpoints/epoch-0001', prunedAt: new Date('2024-01-02T03:04:05Z') },
  { id: 'c-2', epoch: 2, location: 'runs/r/checkpoints/epoch-0002', prunedAt: null },
];

let temporary: string;
let store: DirectoryArtifactStore;
let server: http.Server;
let origin: string;
/** What each request's sendCheckpointDownload settled with: 'ok', or the error it rejected with. */
let outcomes: Promise<unknown>[];

/** Serves downloads of CHECKPOINTS (plus `extra`) from `from`, answering 500 when the handler rejects. */
async function serve(from: ArtifactStore, extra: readonly DownloadableCheckpoint[] = []): Promise<void> {
  const checkpoints = [...CHECKPOINTS, ...extra];
  server = http.createServer((request, response) => {
    const id = parseCheckpointDownloadPath(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (id === null) return void response.writeHead(404).end();
    const checkpoint = checkpoints.find((candidate) => candidate.id === id) ?? null;
    const outcome = sendCheckpointDownload(response, id, checkpoint, from).then(
      () => 'ok',
      (error: unknown) => {
        if (!response.headersSent) response.writeHead(500).end();
        return error;
      },
    );
    outcomes.push(outcome);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function download(id: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const response = await fetch(`${origin}${checkpointDownloadPath(id)}`);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'content-disposition']) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

function json(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

describe('checkpoint download paths', () => {
  it('encodes the id, and parses it back', () => {
    expect(checkpointDownloadPath('0b6f1c52-3c1e')).toBe('/checkpoints/0b6f1c52-3c1e/download');
    expect(checkpointDownloadPath('a b/c')).toBe('/checkpoints/a%20b%2Fc/download');
    expect(parseCheckpointDownloadPath('/checkpoints/a%20b%2Fc/download')).toBe('a b/c');
    expect(parseCheckpointDownloadPath(checkpointDownloadPath('0b6f1c52-3c1e'))).toBe('0b6f1c52-3c1e');
  });

  it.each([
    '/graphql',
    '/checkpoints//download',
    '/checkpoints/a/b/download',
    '/checkpoints/a/download/',
    '/checkpoints/%E0%A4%A/download',
  ])('is not %j', (pathname) => {
    expect(parseCheckpointDownloadPath(pathname)).toBe(null);
  });
});

describe('sendCheckpointDownload', () => {
  beforeEach(async () => {
    temporary = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-download-'));
    store = new DirectoryArtifactStore(path.join(temporary, 'artifacts'));
    const directory = store.resolve('runs/r/checkpoints/epoch-0003');
    await fs.mkdir(directory, { recursive: true });
    await fs.writeFile(path.join(directory, 'model.json'), '{"format":"layers-model"}');
    await fs.writeFile(path.join(directory, 'weights.bin'), Buffer.alloc(3000, 7));
    outcomes = [];
  });

  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    await fs.rm(temporary, { recursive: true, force: true });
  });

  it('answers 404 for an unknown id, naming it', async () => {
    await serve(store);
    const response = await download('no-such-id');
    expect({ ...response, body: json(response.body) }).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: { error: "No checkpoint with id 'no-such-id'." },
    });
  });

  it('answers 410 for a pruned checkpoint, and for one whose files are missing', async () => {
    await serve(store);
    const pruned = await download('c-1');
    expect({ ...pruned, body: json(pruned.body) }).toEqual({
      status: 410,
      headers: { 'content-type': 'application/json' },
      body: { error: 'Checkpoint c-1 (epoch 1) was pruned: its files are gone.' },
    });
    const lost = await download('c-2');
    expect({ ...lost, body: json(lost.body) }).toEqual({
      status: 410,
      headers: { 'content-type': 'application/json' },
      body: {
        error:
          "Checkpoint c-2 (epoch 2) has lost its files: nothing is at 'runs/r/checkpoints/epoch-0002' in the " +
          'artifact store.',
      },
    });
  });

  it('answers 200 with a tar of the checkpoint, named after its id and epoch', async () => {
    await serve(store);
    const response = await download('c-3');
    expect(response.status).toBe(200);
    expect(response.headers).toEqual({
      'content-type': 'application/x-tar',
      'content-disposition': 'attachment; filename="checkpoint-c-3-epoch-0003.tar"',
    });
    expect(execFileSync('tar', ['-tvf', '-'], { input: response.body, encoding: 'utf8' })).toMatch(
      /^-rw-r--r-- 0\/0 +25 \S+ \S+ epoch-0003\/model\.json\n-rw-r--r-- 0\/0 +3000 \S+ \S+ epoch-0003\/weights\.bin\n$/,
    );
    expect(response.body.length).toBe(512 * (1 + 1 + 1 + 6 + 2));
    expect(await Promise.all(outcomes)).toEqual(['ok']);
  });

  it('serves a legacy row whose location is an absolute path', async () => {
    const legacy = {
      id: 'c-legacy',
      epoch: 12,
      location: store.resolve('runs/r/checkpoints/epoch-0003'),
      prunedAt: null,
    };
    await serve(store, [legacy]);
    const response = await download('c-legacy');
    expect(response.headers['content-disposition']).toBe('attachment; filename="checkpoint-c-legacy-epoch-0012.tar"');
    expect(execFileSync('tar', ['-tf', '-'], { input: response.body, encoding: 'utf8' })).toBe(
      'epoch-0003/model.json\nepoch-0003/weights.bin\n',
    );
  });

  it('answers 410 when the files vanish between the check and the read', async () => {
    class VanishingStore extends DirectoryArtifactStore {
      private checks = 0;
      override async exists(key: string): Promise<boolean> {
        this.checks += 1;
        return this.checks === 1 ? true : super.exists(key);
      }
    }
    await serve(new VanishingStore(store.root));
    const response = await download('c-2');
    expect([response.status, json(response.body)]).toEqual([
      410,
      {
        error:
          "Checkpoint c-2 (epoch 2) has lost its files: nothing is at 'runs/r/checkpoints/epoch-0002' in the " +
          'artifact store.',
      },
    ]);
  });

  it('rejects with nothing sent when the archive fails before its first byte', async () => {
    await fs.writeFile(store.resolve(`runs/r/checkpoints/epoch-0003/${'w'.repeat(120)}`), 'x');
    await serve(store);
    const response = await download('c-3');
    expect([response.status, response.headers, response.body.length]).toEqual([500, {}, 0]);
    const [error] = (await Promise.all(outcomes)) as Error[];
    expect(error?.message).toBe(
      `Cannot archive checkpoint c-3 at "runs/r/checkpoints/epoch-0003" in directory ${store.root}.`,
    );
    expect((error?.cause as Error).message).toMatch(/^Cannot archive "epoch-0003\/w{120}" \(131 bytes\)/);
  });

  it('stops the archive when the client goes away', async () => {
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    class EndlessStore extends DirectoryArtifactStore {
      override tar(): Readable {
        return endless;
      }
    }
    await serve(new EndlessStore(store.root));
    const request = http.get(`${origin}${checkpointDownloadPath('c-3')}`);
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    expect(response.statusCode).toBe(200);
    request.destroy();
    await once(endless, 'close');
    expect(endless.destroyed).toBe(true);
    expect(await Promise.all(outcomes)).toEqual(['ok']);
  });
});
