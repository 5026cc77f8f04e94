// Prints training events as the seed's script does, with a progress bar on an interactive terminal.
import type { TrainResult, TrainingEvent } from '../training/training-events.js';
import type { CliIo } from './cli-io.js';

export interface PrinterOptions {
  /** Print every n-th batch line (the seed: 100). */
  readonly logEvery: number;
  /** Redraw a one-line progress bar on stderr after every batch. */
  readonly progressBar: boolean;
}

const BAR_WIDTH = 30;

export class TrainingPrinter {
  constructor(
    private readonly io: CliIo,
    private readonly options: PrinterOptions,
  ) {}

  print(event: TrainingEvent): void {
    switch (event.kind) {
      case 'start':
        this.io.stdout(
          `Backend: ${event.backend.name} (${event.backend.device})\n` +
            `Data: ${event.trainImages} training, ${event.testImages} test images, ${event.classNames.length} classes\n` +
            `Model: ${event.trainableParams.toLocaleString('en-US')} parameters, ` +
            `${(event.macs / 1e6).toFixed(1)} M MACs per image` +
            `${event.init === undefined ? '' : `, ${event.init} initialization`}\n`,
        );
        return;
      case 'batch': {
        if (this.options.progressBar) {
          const done = Math.round((event.batch / event.batches) * BAR_WIDTH);
          this.io.stderr(
            `\r[${'#'.repeat(done)}${'.'.repeat(BAR_WIDTH - done)}] ${event.batch}/${event.batches} ` +
              `loss ${event.loss.toFixed(4)} acc ${event.accuracy.toFixed(4)} ${event.imagesPerSecond.toFixed(1)} img/s`,
          );
        }
        if (event.batch === 1) this.clearBar(`\n[Train epoch ${event.epoch}] learning rate ${event.learningRate}\n`);
        // The seed prints batch 0, 100, 200, ... (0-based).
        if ((event.batch - 1) % this.options.logEvery === 0) {
          this.clearBar(
            `Batch ${event.batch - 1}/${event.batches}: accuracy ${event.accuracy.toFixed(4)}, loss ${event.loss.toFixed(4)}, ` +
              `${event.imagesPerSecond.toFixed(1)} images/s\n`,
          );
        }
        return;
      }
      case 'epoch': {
        const test =
          event.testAccuracy === null
            ? 'no test split'
            : `accuracy ${event.testAccuracy.toFixed(4)}, loss ${event.testLoss!.toFixed(4)}`;
        this.clearBar(
          `Train: accuracy ${event.trainAccuracy.toFixed(4)}, loss ${event.trainLoss.toFixed(4)}, ` +
            `${event.imagesPerSecond.toFixed(1)} images/s\n` +
            `[Test epoch ${event.epoch}] ${test}\n` +
            `Checkpoint saved: ${event.checkpoint}${event.isBest ? ' (best so far)' : ''}\n` +
            `Time elapsed: ${event.elapsedSeconds.toFixed(1)} s\n`,
        );
        return;
      }
    }
  }

  printResult(result: TrainResult, outDir: string): void {
    const best = result.bestTestAccuracy === null ? '' : `, best test accuracy ${result.bestTestAccuracy.toFixed(4)}`;
    const verb = result.status === 'completed' ? 'Finished' : 'Cancelled';
    this.clearBar(
      `\n${verb} after ${result.epochsCompleted} epoch${result.epochsCompleted === 1 ? '' : 's'}${best} in ${result.elapsedSeconds.toFixed(1)} s on ` +
        `${result.backend.name} (${result.backend.device}). Run directory: ${outDir}\n`,
    );
  }

  /** Ends the progress bar's line before a log line, so the two do not overwrite each other. */
  private clearBar(text: string): void {
    if (this.options.progressBar) this.io.stderr('\r\x1b[2K');
    this.io.stdout(text);
  }
}
