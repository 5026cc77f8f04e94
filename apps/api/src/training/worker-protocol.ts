// Messages between the API and a training worker process (Node IPC, structured clone).
import type {
  EvalSplit,
  Evaluation,
  SyntheticDatasetOptions,
  TrainConfig,
  TrainResult,
  TrainingEvent,
} from '@resnet-lab/trainer';

/** What a worker needs to load a dataset: the API's Dataset row, reduced. */
export interface DatasetSpec {
  readonly format: 'CIFAR10_BINARY' | 'IMAGE_FOLDER' | 'SYNTHETIC';
  readonly location: string;
  /** Shape of a SYNTHETIC dataset. */
  readonly synthetic: SyntheticDatasetOptions | null;
  /** Where an IMAGE_FOLDER's decoded images are cached (under the worker's DATA_DIR/cache); null for the others. */
  readonly cacheDirectory: string | null;
}

export interface TrainRequest {
  readonly type: 'train';
  readonly config: TrainConfig;
  readonly outDir: string;
  readonly resumeFrom: string | null;
  readonly dataset: DatasetSpec;
}

/**
 * Evaluates a checkpoint. A worker that answers `evaluated` stays, idle, for another evaluation, until it is stopped
 * or the API goes away; one that answers `failed` exits, as a worker does after a training run.
 */
export interface EvaluateRequest {
  readonly type: 'evaluate';
  readonly checkpoint: string;
  readonly dataset: DatasetSpec;
  /** Which of the dataset's images: loaded as the checkpoint's run loaded them, then this split of them. */
  readonly split: EvalSplit;
}

export interface CancelRequest {
  readonly type: 'cancel';
}

export type WorkerRequest = TrainRequest | EvaluateRequest | CancelRequest;

/** A checkpoint directory as written, with what the tracker records of it. */
export interface SavedCheckpoint {
  readonly epoch: number;
  readonly location: string;
  readonly isBest: boolean;
  readonly testAccuracy: number | null;
  readonly testLoss: number | null;
  readonly sizeBytes: number;
  /** SHA-256 of the weights file. */
  readonly sha256: string;
}

export type WorkerMessage =
  | { readonly type: 'event'; readonly event: TrainingEvent; readonly checkpoint: SavedCheckpoint | null }
  | { readonly type: 'trained'; readonly result: TrainResult }
  | {
      readonly type: 'evaluated';
      readonly evaluation: Evaluation;
      readonly durationSeconds: number;
      /**
       * Tensors the worker holds once the evaluation's are freed (tfjs's numTensors): the same after every evaluation,
       * as the worker stays for the next one (EvaluationWorkers) and must not grow.
       */
      readonly tensors: number;
    }
  | { readonly type: 'failed'; readonly message: string }
  /**
   * Sent when the worker takes an evaluate request, before it starts on it: a kept worker that ends after this died
   * of the evaluation (which is then not retried), one that ends before it had died while idle.
   */
  | { readonly type: 'accepted' };
