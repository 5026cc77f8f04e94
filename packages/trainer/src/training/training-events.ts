// What a training run reports as it goes: the seed's printed lines as structured events.
import type { ResNetInit } from '@resnet-lab/resnet';

/** The compute backend a run uses, as reported in every event. */
export interface BackendReport {
  /** 'tensorflow', 'wasm' or 'cpu'. */
  readonly name: string;
  /** e.g. 'GPU: NVIDIA H100 80GB HBM3' or 'CPU'. */
  readonly device: string;
}

export interface EpochMetrics {
  /** 1-based epoch number. */
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** null when the dataset has no test split. */
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** Learning rate of the epoch's first step. */
  readonly learningRate: number;
  /** Wall time of the epoch (training and test), seconds. */
  readonly durationSeconds: number;
  /** Training images per second over the epoch's training steps. */
  readonly imagesPerSecond: number;
}

export interface StartEvent {
  readonly kind: 'start';
  readonly backend: BackendReport;
  readonly epochs: number;
  /** First epoch this run trains (1, or the resumed checkpoint's epoch + 1). */
  readonly firstEpoch: number;
  readonly batchesPerEpoch: number;
  readonly trainImages: number;
  readonly testImages: number;
  readonly classNames: readonly string[];
  readonly trainableParams: number;
  readonly macs: number;
  /** The weights' initialization scheme (a resumed run's: its checkpoint's). Absent from older trainers' events. */
  readonly init?: ResNetInit;
}

/** After every SGD step: the seed prints this every 100 batches. */
export interface BatchEvent {
  readonly kind: 'batch';
  readonly backend: BackendReport;
  readonly epoch: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  readonly batches: number;
  /** Loss and accuracy of this batch alone. */
  readonly loss: number;
  readonly accuracy: number;
  readonly learningRate: number;
  /** Training images per second over the epoch's steps so far; at its last batch, the epoch's imagesPerSecond. */
  readonly imagesPerSecond: number;
  /** Seconds since the run started. */
  readonly elapsedSeconds: number;
}

/** After every epoch, once its checkpoint is on disk. */
export interface EpochEvent extends EpochMetrics {
  readonly kind: 'epoch';
  readonly backend: BackendReport;
  readonly epochs: number;
  readonly elapsedSeconds: number;
  /** Directory of the `last` checkpoint just written. */
  readonly checkpoint: string;
  /** This epoch's own checkpoint directory, when the run keeps one per epoch (TrainOptions.keepEpochCheckpoints). */
  readonly epochCheckpoint: string | null;
  /** sha256 of the checkpoint's weights file, the same in every directory it was written to. */
  readonly weightsSha256: string;
  /** Whether this epoch's test accuracy is the best so far (and `best` was rewritten). */
  readonly isBest: boolean;
}

export type TrainingEvent = StartEvent | BatchEvent | EpochEvent;

export interface TrainResult {
  /** 'cancelled' when the AbortSignal stopped the run at a batch boundary. */
  readonly status: 'completed' | 'cancelled';
  readonly backend: BackendReport;
  readonly epochsCompleted: number;
  readonly history: readonly EpochMetrics[];
  /** Latest complete checkpoint, null if no epoch finished. */
  readonly lastCheckpoint: string | null;
  readonly bestCheckpoint: string | null;
  readonly bestTestAccuracy: number | null;
  readonly elapsedSeconds: number;
}
