-- Evaluations as stored results: evaluateCheckpoint keeps what it measured, so that the evaluations of a checkpoint
-- or of a model are listed instead of recomputed. They go with their checkpoint (ON DELETE CASCADE) and outlive the
-- registration of their dataset (ON DELETE SET NULL), whose name "datasetName" keeps.

-- CreateEnum
CREATE TYPE "EvaluationSplit" AS ENUM ('TEST', 'TRAIN', 'ALL');

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" TEXT NOT NULL,
    "checkpointId" TEXT NOT NULL,
    "datasetId" TEXT,
    "datasetName" TEXT NOT NULL,
    "split" "EvaluationSplit" NOT NULL,
    "images" INTEGER NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "accuracy" DOUBLE PRECISION NOT NULL,
    "perClass" JSONB NOT NULL,
    "classNames" TEXT[],
    "confusionMatrix" JSONB NOT NULL,
    "durationSeconds" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Evaluation_checkpointId_createdAt_id_idx" ON "Evaluation"("checkpointId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Evaluation_datasetId_idx" ON "Evaluation"("datasetId");

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_checkpointId_fkey" FOREIGN KEY ("checkpointId") REFERENCES "Checkpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE SET NULL ON UPDATE CASCADE;
