// `resnet-lab-worker`: a training worker. It needs only the database (DATABASE_URL, or the embedded server of
// DATA_DIR while `npm start` runs it) and the artifact location (ARTIFACT_DIR, default DATA_DIR/artifacts).
// SIGTERM or Ctrl-C stops the run in progress at the next batch boundary, leaves it re-queued or resumable, and
// exits 0.
import { checkDiskSpace } from '../check-disk-space.js';
import { readCommandConfig } from '../config.js';
import { reportDiskFull } from '../report-disk-full.js';
import { startRunWorker } from './run-worker.js';

export async function main(args: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (args.length > 0) {
    console.error(
      'Usage: resnet-lab-worker\n\nTrains runs from the queue. Configured by DATABASE_URL, ARTIFACT_DIR (or DATA_DIR), ' +
        'RUN_RETRIES, WORKER_HEARTBEAT_SECONDS and SYSTEM_METRICS_SECONDS.',
    );
    return 2;
  }
  const config = readCommandConfig(process.env);
  if (!config) return 2;
  const lowSpace = await checkDiskSpace(config);
  if (lowSpace) {
    console.error(lowSpace.message);
    return 1;
  }
  let worker;
  try {
    worker = await startRunWorker(config, {
      log: (message) => console.log(message),
      workersOnMachine: Number(process.env.RESNET_LAB_WORKERS_ON_MACHINE ?? 1) || 1,
    });
  } catch (error) {
    if (await reportDiskFull(error, config)) return 1;
    console.error(`The worker could not start: ${(error as Error).message}`);
    return 1;
  }
  // Every signal is handled, however many arrive: Ctrl-C reaches each process of the group, and launchers relay it.
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping: the run in progress stops at its next batch boundary...');
    void worker.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await worker.stopped;
  console.log('Worker stopped.');
  return 0;
}
