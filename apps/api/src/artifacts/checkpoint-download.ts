// The checkpoint download over plain HTTP, beside GraphQL: GET /checkpoints/<id>/download answers a tar archive of
// the checkpoint's directory (model.json and its weights), streamed from the artifact store.
import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from './artifact-store.js';

/** What the download needs of a checkpoint row. */
export interface DownloadableCheckpoint {
  readonly id: string;
  readonly epoch: number;
  /** A key in the artifact store, or an absolute path for legacy rows and CLI-tracked runs. */
  readonly location: string;
  readonly prunedAt: Date | null;
}

/** `/checkpoints/<id>/<file>`, the id percent-encoded: the paths of a checkpoint's downloads. */
export function checkpointFilePath(id: string, file: string): string {
  return `/checkpoints/${encodeURIComponent(id)}/${file}`;
}

/** The checkpoint id in a path `checkpointFilePath(id, file)` made, or null when the path is not one. */
export function parseCheckpointFilePath(pathname: string, file: string): string | null {
  const prefix = '/checkpoints/';
  const suffix = `/${file}`;
  if (!pathname.startsWith(prefix) || !pathname.endsWith(suffix)) return null;
  const encoded = pathname.slice(prefix.length, -suffix.length);
  if (encoded === '' || encoded.includes('/')) return null;
  try {
    return decodeURIComponent(encoded);
  } catch (error) {
    // A malformed %-escape: no id of ours, so not a download path.
    if (error instanceof URIError) return null;
    throw error;
  }
}

export function checkpointDownloadPath(id: string): string {
  return checkpointFilePath(id, 'download');
}

/** The checkpoint id in a download path, or null when the path is not one. */
export function parseCheckpointDownloadPath(pathname: string): string | null {
  return parseCheckpointFilePath(pathname, 'download');
}

/**
 * Answers a download request for the checkpoint with the given id, found (or not) by the caller: 404 when there is
 * none, 410 when its files are gone, else 200 with the archive. The headers wait for the archive's first bytes, so
 * that a failure to read the files rejects with nothing sent (the caller can still answer 500). A client that goes
 * away stops the archive.
 */
export async function sendCheckpointDownload(
  response: http.ServerResponse,
  id: string,
  checkpoint: DownloadableCheckpoint | null,
  store: ArtifactStore,
): Promise<void> {
  if (checkpoint === null) return sendJson(response, 404, { error: `No checkpoint with id '${id}'.` });
  if (checkpoint.prunedAt !== null) return sendJson(response, 410, { error: prunedMessage(checkpoint) });
  if (!(await store.exists(checkpoint.location))) return sendJson(response, 410, { error: lostMessage(checkpoint) });
  const archive = store.tar(checkpoint.location);
  let clientGone = false;
  response.once('close', () => {
    if (response.writableFinished) return;
    clientGone = true;
    archive.destroy();
  });
  const chunks = archive[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (error) {
    if (clientGone) return;
    // Deleted between the check above and the read, by pruning most likely.
    if (!(await store.exists(checkpoint.location))) return sendJson(response, 410, { error: lostMessage(checkpoint) });
    throw new Error(
      `Cannot archive checkpoint ${checkpoint.id} at ${JSON.stringify(checkpoint.location)} in ${store.description}.`,
      { cause: error },
    );
  }
  response.writeHead(200, {
    'content-type': 'application/x-tar',
    'content-disposition': `attachment; filename="${downloadFileName(checkpoint)}"`,
  });
  try {
    await pipeline(Readable.from(resumed(first, chunks), { objectMode: false }), response);
  } catch (error) {
    if (clientGone) return;
    throw new Error(`The download of checkpoint ${checkpoint.id} broke off.`, { cause: error });
  }
}

export function prunedMessage(checkpoint: DownloadableCheckpoint): string {
  return `Checkpoint ${checkpoint.id} (epoch ${checkpoint.epoch}) was pruned: its files are gone.`;
}

/** Files missing from a checkpoint that is not marked pruned: a deletion outside the API, or the wrong ARTIFACT_DIR. */
export function lostMessage(checkpoint: DownloadableCheckpoint): string {
  return (
    `Checkpoint ${checkpoint.id} (epoch ${checkpoint.epoch}) has lost its files: nothing is at ` +
    `'${checkpoint.location}' in the artifact store.`
  );
}

/** `checkpoint-<id>-epoch-0003.tar`, with anything but letters, digits, '.', '_' and '-' in the id made '_'. */
export function downloadFileName(checkpoint: DownloadableCheckpoint, extension = 'tar'): string {
  const id = checkpoint.id.replace(/[^A-Za-z0-9._-]/g, '_');
  return `checkpoint-${id}-epoch-${String(checkpoint.epoch).padStart(4, '0')}.${extension}`;
}

/** The archive again from its first chunk; `yield*` passes an early stop on to the archive, which destroys it. */
async function* resumed(first: IteratorResult<Buffer>, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (first.done === true) return;
  yield first.value;
  yield* { [Symbol.asyncIterator]: () => rest };
}

export function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}
