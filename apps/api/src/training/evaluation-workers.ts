// Worker processes for evaluateCheckpoint, kept warm between evaluations (issue 15): an evaluation takes the idle
// worker when there is one, which has its process started and its backend loaded already (about 1 s and 1.5 s of every
// evaluation before), else starts one, so that evaluations at once still run in parallel. At most one worker is kept,
// for `idleSeconds` after it answered: each holds its backend's memory, and wasm's heap never shrinks. A worker that
// failed, crashed or was stopped is never given another evaluation. Training runs keep a process each (claimed-runs).
import type { Evaluation } from '@resnet-lab/trainer';
import { describeUnexpectedExit, type StartWorker, type WorkerHandle } from './worker-process.js';
import type { EvaluateRequest, WorkerMessage } from './worker-protocol.js';

export interface WorkerEvaluation {
  readonly evaluation: Evaluation;
  /** Seconds the worker took, from its backend's start to its result. */
  readonly durationSeconds: number;
}

export interface EvaluationWorkersOptions {
  readonly startWorker: StartWorker;
  /** Seconds a worker that answered is kept, idle, for the next evaluation; 0 keeps none. */
  readonly idleSeconds: number;
}

/** A worker process ended before it answered its evaluation. */
export class WorkerEndedError extends Error {
  constructor(
    message: string,
    /** Whether the worker had taken the evaluation (its `accepted`): if so, it died of it. */
    readonly accepted = false,
  ) {
    super(message);
    this.name = 'WorkerEndedError';
  }
}

/** One worker process, and the evaluation it is on. */
class Worker {
  readonly handle: WorkerHandle;
  /** Settles the evaluation under way; null while the worker is idle. */
  evaluation: {
    resolve(result: WorkerEvaluation): void;
    reject(error: Error): void;
    /** The worker said it took the request. */
    accepted: boolean;
  } | null = null;

  constructor(startWorker: StartWorker, onMessage: (worker: Worker, message: WorkerMessage) => void) {
    this.handle = startWorker((message) => onMessage(this, message));
  }
}

export class EvaluationWorkers {
  /** Every worker started, neither stopped nor ended yet: evaluating or idle. */
  private readonly workers = new Set<Worker>();
  private idle: { readonly worker: Worker; readonly timer: NodeJS.Timeout } | null = null;
  private closed = false;

  constructor(private readonly options: EvaluationWorkersOptions) {}

  /** Evaluates in the idle worker, else in a new one; rejects with the worker's failure or how it ended. */
  async evaluate(request: EvaluateRequest): Promise<WorkerEvaluation> {
    const kept = this.takeIdle();
    if (kept) {
      try {
        return await this.evaluateOn(kept, request);
      } catch (error) {
        // It may have died while idle (the OOM killer, an operator's kill) just before its end was seen: the
        // evaluation is not lost for that, it gets a new worker. One that died after taking it died of it (out of
        // memory, say), and running it again would only do that twice.
        if (!(error instanceof WorkerEndedError) || error.accepted) throw error;
      }
    }
    return this.evaluateOn(this.start(), request);
  }

  /** Stops every worker, the idle one and any still evaluating, and resolves once their processes are gone. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle.timer);
    this.idle = null;
    const workers = [...this.workers];
    for (const worker of workers) this.stop(worker);
    await Promise.all(workers.map((worker) => worker.handle.exited));
  }

  private start(): Worker {
    if (this.closed) throw new Error('The API is shutting down: it starts no evaluation worker.');
    const worker = new Worker(this.options.startWorker, (from, message) => this.onMessage(from, message));
    this.workers.add(worker);
    void worker.handle.exited.then((exit) => {
      this.workers.delete(worker);
      if (this.idle?.worker === worker) {
        clearTimeout(this.idle.timer);
        this.idle = null;
      }
      const evaluation = worker.evaluation;
      worker.evaluation = null;
      evaluation?.reject(new WorkerEndedError(describeUnexpectedExit(exit), evaluation.accepted));
    });
    return worker;
  }

  private evaluateOn(worker: Worker, request: EvaluateRequest): Promise<WorkerEvaluation> {
    return new Promise((resolve, reject) => {
      worker.evaluation = { resolve, reject, accepted: false };
      worker.handle.send(request);
    });
  }

  private onMessage(worker: Worker, message: WorkerMessage): void {
    const evaluation = worker.evaluation;
    if (!evaluation) return;
    if (message.type === 'accepted') {
      evaluation.accepted = true;
    } else if (message.type === 'evaluated') {
      worker.evaluation = null;
      this.release(worker);
      evaluation.resolve({ evaluation: message.evaluation, durationSeconds: message.durationSeconds });
    } else if (message.type === 'failed') {
      worker.evaluation = null;
      // It exits by itself after a failure; stopped too, so that nothing could give it another evaluation.
      this.stop(worker);
      evaluation.reject(new Error(`Evaluation failed: ${message.message}`));
    }
  }

  /** Keeps a worker that answered, as the idle one, or stops it when none is kept or one is already. */
  private release(worker: Worker): void {
    if (this.closed || this.options.idleSeconds === 0 || this.idle) {
      this.stop(worker);
      return;
    }
    const timer = setTimeout(() => {
      this.idle = null;
      this.stop(worker);
    }, this.options.idleSeconds * 1000);
    // The API's shutdown stops the idle worker (close); the timer alone need not keep a process alive.
    timer.unref();
    this.idle = { worker, timer };
  }

  private takeIdle(): Worker | null {
    const idle = this.idle;
    if (!idle) return null;
    clearTimeout(idle.timer);
    this.idle = null;
    return idle.worker;
  }

  private stop(worker: Worker): void {
    this.workers.delete(worker);
    worker.handle.kill();
  }
}
