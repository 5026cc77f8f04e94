// A checkpoint that `predict` can use, made as a user makes one: `resnet-lab train --track <api>` in a process of its
// own trains a ResNet-18 at 1/16 width for one epoch on the built-in synthetic dataset (about 10 s on 2 cores) and
// reports it to the API, which records the run and its checkpoint.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { postGraphQL } from './post-graphql.js';

const REPOSITORY_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const CLI_BIN = path.join(REPOSITORY_ROOT, 'packages', 'trainer', 'bin', 'resnet-lab.js');
const TRAIN_ARGUMENTS = [
  'train',
  '--data',
  'synthetic',
  '--arch',
  'resnet18',
  '--width',
  '0.0625',
  '--epochs',
  '1',
  '--batch-size',
  '64',
  '--seed',
  '1',
  '--backend',
  'wasm',
  '--json',
];
/** How much of the CLI's output is kept for the error message when it fails. */
const OUTPUT_TAIL_CHARS = 4 * 1024;

const LATEST_CHECKPOINT_QUERY = `query LatestCheckpoint {
  runs(first: 1) { edges { node { id status model { name } dataset { name } latestCheckpoint { id available } } } }
}`;

interface LatestCheckpointData {
  runs: {
    edges: {
      node: {
        id: string;
        status: string;
        model: { name: string };
        dataset: { name: string };
        latestCheckpoint: { id: string; available: boolean } | null;
      };
    }[];
  };
}

export interface TrackedCheckpoint {
  readonly checkpointId: string;
  /** The model and dataset the CLI recorded the run under, for starting more runs of them. */
  readonly modelName: string;
  readonly datasetName: string;
  /** Milliseconds from spawning the CLI to its exit. */
  readonly trainMs: number;
}

/**
 * Trains into `outDir` while tracked by the API at `apiUrl` (with no token), and returns the checkpoint of the run,
 * which must be the API's only one. `signal` kills the CLI.
 */
export async function trainTrackedCheckpoint(
  apiUrl: string,
  outDir: string,
  signal: AbortSignal,
): Promise<TrackedCheckpoint> {
  const inherited = { ...process.env };
  delete inherited.RESNET_LAB_API_TOKEN;
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_BIN, ...TRAIN_ARGUMENTS, '--out', outDir, '--track', apiUrl], {
    cwd: REPOSITORY_ROOT,
    env: inherited,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal,
    killSignal: 'SIGKILL',
  });
  let output = '';
  const append = (chunk: string) => {
    output = (output + chunk).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  const exit = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, exitSignal) => resolve(exitSignal ? `signal ${exitSignal}` : `code ${code}`));
  });
  const trainMs = performance.now() - started;
  if (exit !== 'code 0') throw new Error(`resnet-lab train --track exited with ${exit}; it printed, last:\n${output}`);

  const { runs } = await postGraphQL<LatestCheckpointData>(apiUrl, LATEST_CHECKPOINT_QUERY);
  const run = runs.edges[0]?.node;
  if (!run?.latestCheckpoint?.available) {
    throw new Error(`Expected the tracked run with an available checkpoint, but the API lists ${JSON.stringify(run)}.`);
  }
  return {
    checkpointId: run.latestCheckpoint.id,
    modelName: run.model.name,
    datasetName: run.dataset.name,
    trainMs,
  };
}
