// Evaluations as stored results: evaluateCheckpoint measures a checkpoint (CheckpointService.evaluate, in a worker
// process) and keeps what it measured, so that a checkpoint's and a model's evaluations are read back, not recomputed.
import type { Evaluation as TrainerEvaluation } from '@resnet-lab/trainer';
import { conflict } from '../errors.js';
import { Prisma, type Evaluation, type PrismaClient } from '../generated/prisma/client.js';
import { BatchLoader, groupBy } from './batch-loader.js';
import type { CheckpointService, EvaluateInput } from './checkpoint-service.js';
import { checkPageSize } from './page-size.js';
import { isForeignKeyViolation } from './prisma-errors.js';

/** One entry of an evaluation's `perClass`, in class order. */
export interface ClassAccuracy {
  readonly label: string;
  /** Images of the class evaluated: the sum of its row of the confusion matrix. */
  readonly images: number;
  /** Fraction classified correctly; 0 for a class without images in the split. */
  readonly accuracy: number;
}

/** The newest first, and of equal times the greater id first, so that the order is total. */
const NEWEST_FIRST = [{ createdAt: 'desc' }, { id: 'desc' }] satisfies Prisma.EvaluationOrderByWithRelationInput[];

export class EvaluationService {
  private readonly evaluationsOfCheckpoints = new BatchLoader<string, Evaluation[]>(async (checkpointIds) =>
    groupBy(
      await this.prisma.evaluation.findMany({
        where: { checkpointId: { in: [...checkpointIds] } },
        orderBy: NEWEST_FIRST,
      }),
      (evaluation) => evaluation.checkpointId,
    ),
  );
  /** By page size: one batch asks for the same number of evaluations of every model. */
  private readonly newestOfModels = new Map<number, BatchLoader<string, Evaluation[]>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly checkpoints: CheckpointService,
  ) {}

  find(id: string): Promise<Evaluation | null> {
    return this.prisma.evaluation.findUnique({ where: { id } });
  }

  /**
   * Evaluates a checkpoint (with every check and error of CheckpointService.evaluate) and stores the result. When
   * the dataset's registration is deleted meanwhile, the evaluation is stored without it; when the checkpoint is,
   * nothing is stored and the answer is CONFLICT.
   */
  async evaluate(input: EvaluateInput): Promise<Evaluation> {
    const { checkpoint, dataset, split, evaluation, durationSeconds } = await this.checkpoints.evaluate(input);
    const data = {
      checkpointId: checkpoint.id,
      datasetName: dataset.name,
      split,
      durationSeconds,
      ...EvaluationService.measurementsOf(evaluation),
    };
    try {
      return await this.prisma.evaluation.create({ data: { ...data, datasetId: dataset.id } });
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      if (!(await this.prisma.checkpoint.findUnique({ where: { id: checkpoint.id } }))) {
        throw conflict(
          `Checkpoint ${checkpoint.id} was deleted while it was being evaluated; the evaluation was not stored.`,
        );
      }
      return this.prisma.evaluation.create({ data: { ...data, datasetId: null } });
    }
  }

  /** The checkpoint's evaluations, newest first. */
  async ofCheckpoint(checkpointId: string): Promise<Evaluation[]> {
    return (await this.evaluationsOfCheckpoints.load(checkpointId)) ?? [];
  }

  /** The newest evaluations of the model's checkpoints (of all its runs), at most `first` (1 to 100). */
  async ofModel(modelId: string, first: number): Promise<Evaluation[]> {
    const limit = checkPageSize('first', first);
    let loader = this.newestOfModels.get(limit);
    if (!loader) {
      loader = new BatchLoader((modelIds) => this.loadNewestOfModels(modelIds, limit));
      this.newestOfModels.set(limit, loader);
    }
    return (await loader.load(modelId)) ?? [];
  }

  /** The evaluation's per-class accuracy, as stored. */
  static perClass(evaluation: Evaluation): ClassAccuracy[] {
    return evaluation.perClass as unknown as ClassAccuracy[];
  }

  /** The evaluation's confusion matrix, `[true class][predicted class]` = image count, as stored. */
  static confusionMatrix(evaluation: Evaluation): number[][] {
    return evaluation.confusionMatrix as unknown as number[][];
  }

  /** What the trainer measured, as the columns of an Evaluation row. */
  static measurementsOf(evaluation: TrainerEvaluation) {
    const perClass: ClassAccuracy[] = evaluation.classNames.map((label, index) => ({
      label,
      images: evaluation.confusionMatrix[index]!.reduce((total, count) => total + count, 0),
      accuracy: evaluation.perClassAccuracy[index] ?? 0,
    }));
    return {
      images: evaluation.count,
      loss: evaluation.loss,
      accuracy: evaluation.accuracy,
      classNames: [...evaluation.classNames],
      perClass: perClass as unknown as Prisma.InputJsonArray,
      confusionMatrix: evaluation.confusionMatrix.map((row) => [...row]),
    };
  }

  /** The newest `limit` evaluations of each model's checkpoints, in one statement however many models. */
  private async loadNewestOfModels(modelIds: readonly string[], limit: number): Promise<Map<string, Evaluation[]>> {
    const rows = await this.prisma.$queryRaw<(Evaluation & { modelId: string })[]>`
      SELECT "evaluation".*, "model"."id" AS "modelId" FROM "Model" AS "model"
      CROSS JOIN LATERAL (
        SELECT "Evaluation".* FROM "Evaluation"
        JOIN "Checkpoint" ON "Checkpoint"."id" = "Evaluation"."checkpointId"
        JOIN "Run" ON "Run"."id" = "Checkpoint"."runId"
        WHERE "Run"."modelId" = "model"."id"
        ORDER BY "Evaluation"."createdAt" DESC, "Evaluation"."id" DESC LIMIT ${limit}
      ) AS "evaluation"
      WHERE "model"."id" IN (${Prisma.join(modelIds)})
      ORDER BY "evaluation"."createdAt" DESC, "evaluation"."id" DESC`;
    const newest = new Map<string, Evaluation[]>();
    for (const { modelId, ...evaluation } of rows) {
      const list = newest.get(modelId);
      if (list) list.push(evaluation);
      else newest.set(modelId, [evaluation]);
    }
    return newest;
  }
}
