// Writes a prediction in one statement that also checks its target still holds: the checkpoint is there, unpruned,
// with the same files; or the model's alias still points at the same version. One round trip on the way of every warm
// prediction, and the only one: PredictionService resolves targets from its PredictionTargets, and a target found
// stale here is resolved again. Raw SQL rather than prisma.prediction.create: Prisma's query builder took 2-2.6 ms a
// statement here, $queryRaw 0.6-1.2 (a one-off script); with the lookup gone too, `npm run bench:predict`'s "rest" of a
// request went from 9.7-10.4 to 6.0-6.3 ms.
import { randomUUID } from 'node:crypto';
import { Prisma, type Prediction, type PrismaClient } from '../generated/prisma/client.js';
import type { PredictionTarget } from './prediction-target.js';

/** What a prediction records besides its target. */
export interface PredictionRecord {
  /** Most probable first. */
  readonly topK: readonly { readonly classIndex: number; readonly label: string; readonly probability: number }[];
  readonly latencyMs: number;
  /** Whether the checkpoint was already loaded. */
  readonly cached: boolean;
  readonly inputSha256: string;
}

/** The stored prediction, or null (and nothing stored) when `target` no longer holds. */
export async function storePrediction(
  prisma: PrismaClient,
  target: PredictionTarget,
  record: PredictionRecord,
): Promise<Prediction | null> {
  const values = Prisma.sql`${randomUUID()}, ${JSON.stringify(record.topK)}::jsonb, ${record.latencyMs},
    ${record.cached}, ${record.inputSha256}`;
  const rows =
    target.kind === 'checkpoint'
      ? await prisma.$queryRaw<Prediction[]>`
          INSERT INTO "Prediction"
            ("id", "topK", "latencyMs", "cached", "inputSha256", "checkpointId", "modelVersionId")
          SELECT ${values}, "checkpoint"."id", NULL
          FROM "Checkpoint" AS "checkpoint"
          WHERE "checkpoint"."id" = ${target.checkpointId}
            AND "checkpoint"."prunedAt" IS NULL
            AND "checkpoint"."location" = ${target.location}
          RETURNING *`
      : await prisma.$queryRaw<Prediction[]>`
          INSERT INTO "Prediction"
            ("id", "topK", "latencyMs", "cached", "inputSha256", "checkpointId", "modelVersionId")
          SELECT ${values}, "version"."checkpointId", "version"."id"
          FROM "ModelAlias" AS "alias"
          JOIN "Model" AS "model" ON "model"."id" = "alias"."modelId"
          JOIN "ModelVersion" AS "version" ON "version"."id" = "alias"."versionId"
          WHERE "model"."name" = ${target.modelName}
            AND "alias"."alias" = ${target.alias}
            AND "version"."id" = ${target.modelVersionId}
            AND "version"."checkpointId" = ${target.checkpointId}
            AND "version"."location" = ${target.location}
          RETURNING *`;
  return rows[0] ?? null;
}
