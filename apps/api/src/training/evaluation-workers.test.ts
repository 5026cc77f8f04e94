// Evaluation workers kept warm between evaluations: which process each evaluation runs in (stand-ins that the tests
// answer for), and a real worker process that evaluates twice with the same figures and no tensors piling up.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildResNet, exportStateDict, resolveResNetConfig, writeSafetensors } from '@resnet-lab/resnet';
import { importSafetensors, type Evaluation } from '@resnet-lab/trainer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EvaluationWorkers, WorkerEndedError, type WorkerEvaluation } from './evaluation-workers.js';
import { startWorkerProcess, type StartWorker, type WorkerExit, type WorkerHandle } from './worker-process.js';
import type { EvaluateRequest, WorkerMessage, WorkerRequest } from './worker-protocol.js';

const REQUEST: EvaluateRequest = {
  type: 'evaluate',
  checkpoint: '/artifacts/runs/run-1/checkpoints/last',
  dataset: { format: 'SYNTHETIC', location: 'synthetic', synthetic: { classes: 2 }, cacheDirectory: null },
  split: 'test',
};
const EVALUATION: Evaluation = {
  count: 2,
  correct: 1,
  accuracy: 0.5,
  loss: 0.75,
  classNames: ['horizontal-stripes', 'vertical-stripes'],
  perClassAccuracy: [1, 0],
  confusionMatrix: [
    [1, 0],
    [1, 0],
  ],
};
const EVALUATED: WorkerMessage = { type: 'evaluated', evaluation: EVALUATION, durationSeconds: 1.5, tensors: 0 };
const RESULT: WorkerEvaluation = { evaluation: EVALUATION, durationSeconds: 1.5 };

/** A worker process stand-in: it records its requests, and the test (or `respond`) answers for it. */
class FakeWorker implements WorkerHandle {
  readonly requests: WorkerRequest[] = [];
  /** The signal it was stopped with; null while it runs. */
  stoppedWith: NodeJS.Signals | null = null;
  readonly exited: Promise<WorkerExit>;
  private end!: (exit: WorkerExit) => void;

  constructor(
    readonly pid: number,
    private readonly onMessage: (message: WorkerMessage) => void,
    private readonly respond: (worker: FakeWorker, request: WorkerRequest) => void,
  ) {
    this.exited = new Promise((resolve) => (this.end = resolve));
  }

  send(request: WorkerRequest): void {
    this.requests.push(request);
    this.respond(this, request);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.stoppedWith ??= signal;
    this.end({ code: null, signal, stderrTail: '' });
  }

  answer(message: WorkerMessage): void {
    this.onMessage(message);
  }

  /** Ends as a process does that crashed or was killed by someone else. */
  crash(exit: WorkerExit): void {
    this.end(exit);
  }
}

/** Answers every request with EVALUATED, after it was sent, as a worker does over IPC. */
const answerEvaluated = (worker: FakeWorker) => queueMicrotask(() => worker.answer(EVALUATED));

let started: FakeWorker[];
let workers: EvaluationWorkers;

/** Evaluation workers on stand-ins that `respond` answers for; `started` lists them in order. */
function evaluationWorkers(
  idleSeconds: number,
  respond: (worker: FakeWorker, request: WorkerRequest) => void = answerEvaluated,
): EvaluationWorkers {
  const startWorker: StartWorker = (onMessage) => {
    const worker = new FakeWorker(1000 + started.length, onMessage, respond);
    started.push(worker);
    return worker;
  };
  workers = new EvaluationWorkers({ startWorker, idleSeconds });
  return workers;
}

beforeEach(() => {
  started = [];
});
afterEach(async () => {
  vi.useRealTimers();
  await workers.close();
});

describe('EvaluationWorkers', () => {
  it('evaluates twice in a row in one worker process, which it keeps', async () => {
    const pool = evaluationWorkers(60);
    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => [worker.pid, worker.requests, worker.stoppedWith])).toEqual([
      [1000, [REQUEST, REQUEST], null],
    ]);
  });

  it('stops the idle worker after the idle time, and the next evaluation starts another', async () => {
    vi.useFakeTimers();
    const pool = evaluationWorkers(60);
    await pool.evaluate(REQUEST);
    vi.advanceTimersByTime(59_999);
    expect(started[0]!.stoppedWith).toBeNull();
    vi.advanceTimersByTime(1);
    expect(started[0]!.stoppedWith).toBe('SIGTERM');

    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => worker.requests.length)).toEqual([1, 1]);
  });

  it('keeps none with an idle time of 0: each evaluation starts a worker, stopped once it answered', async () => {
    const pool = evaluationWorkers(0);
    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => [worker.requests.length, worker.stoppedWith])).toEqual([
      [1, 'SIGTERM'],
      [1, 'SIGTERM'],
    ]);
  });

  it('never gives another evaluation to a worker that reported a failure', async () => {
    const pool = evaluationWorkers(60, (worker) =>
      queueMicrotask(() =>
        worker.answer(worker.pid === 1000 ? { type: 'failed', message: 'Checkpoint weights are damaged.' } : EVALUATED),
      ),
    );
    await expect(pool.evaluate(REQUEST)).rejects.toThrow(
      new Error('Evaluation failed: Checkpoint weights are damaged.'),
    );
    expect(started[0]!.stoppedWith).toBe('SIGTERM');

    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => worker.requests.length)).toEqual([1, 1]);
  });

  it('says how a worker that crashed during an evaluation ended, and never reuses it', async () => {
    const pool = evaluationWorkers(60, (worker) =>
      queueMicrotask(() =>
        worker.pid === 1000
          ? worker.crash({ code: 134, signal: null, stderrTail: 'Aborted (core dumped)\n' })
          : worker.answer(EVALUATED),
      ),
    );
    await expect(pool.evaluate(REQUEST)).rejects.toThrow(
      new WorkerEndedError(
        'The training worker exited with code 134 before reporting a result. Its last output:\nAborted (core dumped)',
      ),
    );

    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => worker.requests.length)).toEqual([1, 1]);
  });

  it('never reuses a worker that ended while idle', async () => {
    const pool = evaluationWorkers(60);
    await pool.evaluate(REQUEST);
    started[0]!.crash({ code: null, signal: 'SIGKILL', stderrTail: '' });
    await started[0]!.exited;

    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => worker.requests.length)).toEqual([1, 1]);
  });

  it('gives the evaluation a new worker when the kept one turns out to have died before it answered', async () => {
    // Killed while idle, its end not yet seen when the next evaluation took it.
    const pool = evaluationWorkers(60, (worker) =>
      queueMicrotask(() =>
        worker.requests.length === 2
          ? worker.crash({ code: null, signal: 'SIGKILL', stderrTail: '' })
          : worker.answer(EVALUATED),
      ),
    );
    await pool.evaluate(REQUEST);
    expect(await pool.evaluate(REQUEST)).toEqual(RESULT);
    expect(started.map((worker) => worker.requests.length)).toEqual([2, 1]);
  });

  it('does not run an evaluation again that the kept worker took and died of', async () => {
    // Out of memory on the second evaluation, say: running it again would only do that twice.
    const pool = evaluationWorkers(60, (worker) =>
      queueMicrotask(() => {
        if (worker.requests.length === 1) return worker.answer(EVALUATED);
        worker.answer({ type: 'accepted' });
        worker.crash({ code: null, signal: 'SIGKILL', stderrTail: '' });
      }),
    );
    await pool.evaluate(REQUEST);
    const failure = pool.evaluate(REQUEST);
    await expect(failure).rejects.toThrow(
      new WorkerEndedError('The training worker was killed by SIGKILL before reporting a result.', true),
    );
    expect(started.map((worker) => worker.requests.length)).toEqual([2]);
  });

  it('runs evaluations at once in separate workers, and keeps one of them', async () => {
    const pool = evaluationWorkers(60, () => {});
    const first = pool.evaluate(REQUEST);
    const second = pool.evaluate(REQUEST);
    expect(started.map((worker) => worker.requests.length)).toEqual([1, 1]);

    started[1]!.answer(EVALUATED);
    started[0]!.answer(EVALUATED);
    expect(await Promise.all([first, second])).toEqual([RESULT, RESULT]);
    // The first to answer is kept; the other is stopped, as one is kept at most.
    expect(started.map((worker) => worker.stoppedWith)).toEqual(['SIGTERM', null]);

    const third = pool.evaluate(REQUEST);
    started[1]!.answer(EVALUATED);
    expect(await third).toEqual(RESULT);
    expect(started.map((worker) => worker.requests.length)).toEqual([1, 2]);
  });

  it('on close, stops the idle worker and any still evaluating, and starts none after', async () => {
    const pool = evaluationWorkers(60, () => {});
    const first = pool.evaluate(REQUEST);
    const second = pool.evaluate(REQUEST);
    started[0]!.answer(EVALUATED);
    expect(await first).toEqual(RESULT);

    await pool.close();
    expect(started.map((worker) => worker.stoppedWith)).toEqual(['SIGTERM', 'SIGTERM']);
    await expect(second).rejects.toThrow(
      new WorkerEndedError('The training worker was killed by SIGTERM before reporting a result.'),
    );
    await expect(pool.evaluate(REQUEST)).rejects.toThrow(
      new Error('The API is shutting down: it starts no evaluation worker.'),
    );
    expect(started).toHaveLength(2);
  });
});

describe('EvaluationWorkers with a real worker process', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'evaluation-workers-'));
  });
  afterEach(async () => {
    await fs.rm(directory, { recursive: true, force: true });
  });

  it('evaluates twice in one process with the same figures, holding no tensors after either; close ends it', async () => {
    const config = resolveResNetConfig({ arch: 'resnet18', width: 0.0625, classes: 4, inputSize: 16 });
    const model = buildResNet(config, { seed: 5 });
    const bytes = writeSafetensors(exportStateDict(model));
    model.dispose();
    const checkpoint = path.join(directory, 'checkpoint');
    await importSafetensors({ bytes, model: config, out: checkpoint });

    const processes: WorkerHandle[] = [];
    const evaluated: WorkerMessage[] = [];
    workers = new EvaluationWorkers({
      startWorker: (onMessage) => {
        const worker = startWorkerProcess((message) => {
          if (message.type === 'evaluated') evaluated.push(message);
          onMessage(message);
        });
        processes.push(worker);
        return worker;
      },
      idleSeconds: 60,
    });
    const request: EvaluateRequest = {
      type: 'evaluate',
      checkpoint,
      dataset: {
        format: 'SYNTHETIC',
        location: 'synthetic',
        synthetic: { classes: 4, imageSize: 16, trainCount: 24, testCount: 8 },
        cacheDirectory: null,
      },
      split: 'all',
    };
    const first = await workers.evaluate(request);
    const second = await workers.evaluate(request);

    expect(processes).toHaveLength(1);
    expect(first.evaluation.count).toBe(32);
    expect(second.evaluation).toEqual(first.evaluation);
    // Everything the evaluations made (weights, folded weights, batches) was freed: a kept worker does not grow.
    expect(evaluated.map((message) => message.type === 'evaluated' && message.tensors)).toEqual([0, 0]);

    const { pid } = processes[0]!;
    await workers.close();
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }, 120_000);
});
