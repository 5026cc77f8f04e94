// An epoch as a worker reports it to the recorder (the trainer's event and the checkpoint it saved), for tests that
// record epochs without training: each epoch's test accuracy is epoch / 10, so each is the best so far.
import type { RunRecorder } from '@resnet-lab/api';

export type RecordArguments = Parameters<RunRecorder['record']> extends [string, ...infer Rest] ? Rest : never;

export function epochEvent(epoch: number, directory: string): RecordArguments {
  return [
    {
      kind: 'epoch',
      backend: { name: 'cpu', device: 'CPU' },
      epoch,
      epochs: 10,
      trainLoss: 1 / epoch,
      trainAccuracy: epoch / 10,
      testLoss: 1 / epoch,
      testAccuracy: epoch / 10,
      learningRate: 0.1,
      durationSeconds: 1,
      imagesPerSecond: 100,
      elapsedSeconds: epoch,
      checkpoint: directory,
      epochCheckpoint: directory,
      weightsSha256: 'a'.repeat(64),
      isBest: true,
    },
    {
      epoch,
      location: directory,
      isBest: true,
      testAccuracy: epoch / 10,
      testLoss: 1 / epoch,
      sizeBytes: 3,
      sha256: 'a'.repeat(64),
    },
  ];
}
