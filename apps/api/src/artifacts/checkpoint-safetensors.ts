// A checkpoint's weights as a PyTorch state_dict in safetensors over plain HTTP, beside its tar download: GET
// /checkpoints/<id>/safetensors answers what @resnet-lab/trainer's exportSafetensors makes of its directory, which
// PyTorch loads with `safetensors.torch.load_file` and `model.load_state_dict`.
import type http from 'node:http';
import type { ArtifactStore } from './artifact-store.js';
import {
  checkpointFilePath,
  downloadFileName,
  lostMessage,
  parseCheckpointFilePath,
  prunedMessage,
  sendJson,
  type DownloadableCheckpoint,
} from './checkpoint-download.js';

/** Converts a checkpoint directory (a local path) into safetensors bytes. */
export type ExportSafetensors = (checkpointDirectory: string) => Promise<Uint8Array>;

export function checkpointSafetensorsPath(id: string): string {
  return checkpointFilePath(id, 'safetensors');
}

/** The checkpoint id in a safetensors download path, or null when the path is not one. */
export function parseCheckpointSafetensorsPath(pathname: string): string | null {
  return parseCheckpointFilePath(pathname, 'safetensors');
}

/**
 * Answers a safetensors download of the checkpoint with the given id, found (or not) by the caller: 404 when there is
 * none, 410 when its files are gone, else 200 with the file. Nothing is sent before the conversion has succeeded, so
 * that its failure rejects with the response untouched (the caller can still answer 500).
 */
export async function sendCheckpointSafetensors(
  response: http.ServerResponse,
  id: string,
  checkpoint: DownloadableCheckpoint | null,
  store: ArtifactStore,
  exportSafetensors: ExportSafetensors,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<void> {
  if (checkpoint === null) return sendJson(response, 404, { error: `No checkpoint with id '${id}'.` });
  if (checkpoint.prunedAt !== null) return sendJson(response, 410, { error: prunedMessage(checkpoint) });
  if (!(await store.exists(checkpoint.location))) return sendJson(response, 410, { error: lostMessage(checkpoint) });
  const headers = {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${downloadFileName(checkpoint, 'safetensors')}"`,
  };
  // HEAD learns that the file exists and its name without paying for a conversion (so without its length).
  if (method === 'HEAD') {
    response.writeHead(200, headers);
    return void response.end();
  }
  let bytes: Uint8Array;
  try {
    bytes = await exportSafetensors(store.resolve(checkpoint.location));
  } catch (error) {
    // Deleted between the check above and the read, by pruning most likely.
    if (!(await store.exists(checkpoint.location))) return sendJson(response, 410, { error: lostMessage(checkpoint) });
    throw new Error(
      `Cannot export checkpoint ${checkpoint.id} at ${JSON.stringify(checkpoint.location)} in ${store.description} ` +
        'as safetensors.',
      { cause: error },
    );
  }
  response.writeHead(200, { ...headers, 'content-length': String(bytes.byteLength) });
  response.end(bytes);
}
