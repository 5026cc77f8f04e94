import { describe, expect, it } from 'vitest';
import type { BatchEvent, EpochEvent, TrainResult } from '../training/training-events.js';
import { TrainingPrinter } from './training-printer.js';

const backend = { name: 'wasm', device: 'CPU (wasm, 1 thread, SIMD)' };

function batch(number: number, accuracy: number, loss: number): BatchEvent {
  return {
    kind: 'batch',
    backend,
    epoch: 1,
    batch: number,
    batches: 391,
    loss,
    accuracy,
    learningRate: 0.1,
    imagesPerSecond: 5.25,
    elapsedSeconds: number * 20,
  };
}

describe('TrainingPrinter', () => {
  it("prints the seed's lines: every 100th batch, then the epoch's train and test figures and the checkpoint", () => {
    let stdout = '';
    let stderr = '';
    const printer = new TrainingPrinter(
      { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
      { logEvery: 100, progressBar: false },
    );
    for (let number = 1; number <= 391; number++) printer.print(batch(number, 9 / 128, 2.422952890396118));
    const epoch: EpochEvent = {
      kind: 'epoch',
      backend,
      epochs: 50,
      epoch: 1,
      trainLoss: 1.9247,
      trainAccuracy: 0.3024,
      testLoss: 1.6213,
      testAccuracy: 0.4013,
      learningRate: 0.1,
      durationSeconds: 7800,
      imagesPerSecond: 6.41,
      elapsedSeconds: 7812.5,
      checkpoint: 'runs/seed/checkpoints/last',
      epochCheckpoint: null,
      weightsSha256: '0'.repeat(64),
      isBest: true,
    };
    printer.print(epoch);
    const result: TrainResult = {
      status: 'completed',
      backend,
      epochsCompleted: 1,
      history: [epoch],
      lastCheckpoint: 'runs/seed/checkpoints/last',
      bestCheckpoint: 'runs/seed/checkpoints/best',
      bestTestAccuracy: 0.4013,
      elapsedSeconds: 7812.5,
    };
    printer.printResult(result, 'runs/seed');

    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      '',
      '[Train epoch 1] learning rate 0.1',
      'Batch 0/391: accuracy 0.0703, loss 2.4230, 5.3 images/s',
      'Batch 100/391: accuracy 0.0703, loss 2.4230, 5.3 images/s',
      'Batch 200/391: accuracy 0.0703, loss 2.4230, 5.3 images/s',
      'Batch 300/391: accuracy 0.0703, loss 2.4230, 5.3 images/s',
      'Train: accuracy 0.3024, loss 1.9247, 6.4 images/s',
      '[Test epoch 1] accuracy 0.4013, loss 1.6213',
      'Checkpoint saved: runs/seed/checkpoints/last (best so far)',
      'Time elapsed: 7812.5 s',
      '',
      'Finished after 1 epoch, best test accuracy 0.4013 in 7812.5 s on wasm (CPU (wasm, 1 thread, SIMD)). Run directory: runs/seed',
      '',
    ]);
  });

  it('draws a progress bar on stderr and clears it before each log line', () => {
    let stdout = '';
    let stderr = '';
    const printer = new TrainingPrinter(
      { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
      { logEvery: 100, progressBar: true },
    );
    printer.print(batch(2, 0.5, 1));
    expect(stdout).toBe('');
    expect(stderr).toBe('\r[..............................] 2/391 loss 1.0000 acc 0.5000 5.3 img/s');
  });
});
