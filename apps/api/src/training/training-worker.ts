// Entry point of a worker process: trains one run (or evaluates checkpoints, one after another while the API keeps it)
// with @resnet-lab/trainer and reports back over IPC. Running training here keeps the API's event loop free, and a
// crash here (out of memory, a native fault) takes down only this run. A run's progress is also printed on stdout as
// `resnet-lab train` prints it: the run's log (the worker stores what this process prints).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  datasetOptionsFor,
  evaluateModel,
  evaluationSettings,
  evaluationSplit,
  loadInferenceCheckpoint,
  loadDataset,
  train,
  TrainingPrinter,
  useBackend,
  type LoadDatasetOptions,
} from '@resnet-lab/trainer';
import { explainDiskFull, type DiskFullContext } from '../explain-disk-full.js';
import type {
  DatasetSpec,
  EvaluateRequest,
  SavedCheckpoint,
  TrainRequest,
  WorkerMessage,
  WorkerRequest,
} from './worker-protocol.js';

/** Aborts the request under way (a cancel, the API going away); null while the worker is idle between evaluations. */
let current: AbortController | null = null;
/** A batch line every this many batches of an epoch, as `resnet-lab train` prints by default (the seed's 100). */
const LOG_EVERY_BATCHES = 100;

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** The dataset as `options` (a run's, see datasetOptionsFor) load it, with what the API's row says of it. */
async function loadSplits(spec: DatasetSpec, datasetOptions: LoadDatasetOptions) {
  const options = {
    ...datasetOptions,
    ...(spec.synthetic ?? {}),
    cacheDirectory: spec.cacheDirectory ?? undefined,
  };
  return loadDataset(spec.format === 'SYNTHETIC' ? 'synthetic' : spec.location, options);
}

/** Bytes of a checkpoint directory's files. */
function directorySize(directory: string): number {
  return fs.readdirSync(directory).reduce((total, name) => total + fs.statSync(path.join(directory, name)).size, 0);
}

/** Handles a train or evaluate request; resolves to what it reported, once that is sent. */
async function handle(request: TrainRequest | EvaluateRequest): Promise<WorkerMessage['type']> {
  const controller = (current = new AbortController());
  try {
    if (request.type === 'train') {
      const dataset = await loadSplits(request.dataset, datasetOptionsFor(request.config));
      const pending: Promise<void>[] = [];
      const printer = new TrainingPrinter(
        { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
        { logEvery: LOG_EVERY_BATCHES, progressBar: false },
      );
      const result = await train(request.config, {
        outDir: request.outDir,
        resumeFrom: request.resumeFrom ?? undefined,
        signal: controller.signal,
        dataset,
        keepEpochCheckpoints: true,
        onEvent: (event) => {
          printer.print(event);
          let checkpoint: SavedCheckpoint | null = null;
          if (event.kind === 'epoch' && event.epochCheckpoint) {
            checkpoint = {
              epoch: event.epoch,
              location: event.epochCheckpoint,
              isBest: event.isBest,
              testAccuracy: event.testAccuracy,
              testLoss: event.testLoss,
              sizeBytes: directorySize(event.epochCheckpoint),
              sha256: event.weightsSha256,
            };
          }
          pending.push(send({ type: 'event', event, checkpoint }));
        },
      });
      await Promise.all(pending);
      printer.printResult(result, request.outDir);
      await send({ type: 'trained', result });
      return 'trained';
    } else {
      const started = performance.now();
      await send({ type: 'accepted' });
      await useBackend('auto');
      // Every tensor this evaluation makes is freed at its end: the worker stays for the next one, and the backend
      // (kept loaded) never gives memory back. One evaluation at a time, so the scope is its own; a failed one leaves
      // it open, but then the worker exits.
      tf.engine().startScope();
      // Batch norm folded into the convolutions, the fast inference path, straight from the stored weights.
      const checkpoint = await loadInferenceCheckpoint(request.checkpoint);
      const inference = checkpoint.model;
      // Imported weights record no run: evaluationSettings gives the trainer's defaults at the model's input size.
      const settings = evaluationSettings(checkpoint.metadata);
      const dataset = await loadSplits(request.dataset, settings.datasetOptions);
      const evaluation = await evaluateModel(inference, evaluationSplit(dataset, request.split), {
        batchSize: settings.batchSize,
        normalization: checkpoint.metadata.normalization,
        signal: controller.signal,
      });
      inference.dispose();
      tf.engine().endScope();
      await send({
        type: 'evaluated',
        evaluation,
        durationSeconds: (performance.now() - started) / 1000,
        tensors: tf.memory().numTensors,
      });
      return 'evaluated';
    }
  } catch (error) {
    const explained = await explainDiskFull(error, writeLocations(request));
    // The run's log gets the stack of an error that nothing explains; the message goes to the run itself.
    if (!explained && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    const failure = explained ?? error;
    await send({ type: 'failed', message: failure instanceof Error ? failure.message : String(failure) });
    return 'failed';
  } finally {
    current = null;
  }
}

/** Where a request writes, for disk-full messages: the run's output in ARTIFACT_DIR, decoded images in DATA_DIR. */
function writeLocations(request: TrainRequest | EvaluateRequest): DiskFullContext {
  const cache = request.dataset.cacheDirectory;
  return {
    locations: [
      ...(request.type === 'train' ? [{ setting: 'ARTIFACT_DIR', directory: request.outDir }] : []),
      ...(cache === null ? [] : [{ setting: 'DATA_DIR', directory: cache }]),
    ],
    databaseDirectory: null,
  };
}

async function run(request: WorkerRequest): Promise<void> {
  if (request.type === 'cancel') {
    current?.abort(new Error('Cancelled'));
    return;
  }
  let reported: WorkerMessage['type'];
  try {
    reported = await handle(request);
  } catch {
    // The result could not be sent: the API is gone, and with it anyone to tell.
    process.exit(1);
  }
  // An evaluation's worker stays for the next one, with its backend loaded; the API stops it when it is not wanted.
  if (reported === 'evaluated') return;
  // The result has been delivered; tfjs may hold timers or worker handles, so leave explicitly, once what was printed
  // has left (writes to a pipe are asynchronous on macOS).
  await new Promise((resolve) => process.stdout.write('', resolve));
  await new Promise((resolve) => process.stderr.write('', resolve));
  process.exit(0);
}

process.on('message', (request: WorkerRequest) => void run(request));
// Ctrl-C in a terminal reaches every process of the foreground group: the worker that started this one decides when
// training stops (at a batch boundary, through a cancel request), so this process ignores it.
process.on('SIGINT', () => {});
// The API going away (its IPC channel closing) stops the run rather than leaving an orphan training, and ends a worker
// that waits, idle, for another evaluation.
process.on('disconnect', () => {
  if (current) current.abort(new Error('The API process went away.'));
  else process.exit(0);
});
