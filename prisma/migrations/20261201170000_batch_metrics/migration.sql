-- Per-batch metrics, so that a run's batch curve survives a reload. A long run keeps a sample (every batch whose step
-- is a multiple of the run's stride, and the last of each epoch), at most about 2000 rows a run. The primary key
-- ("runId", "step") makes a replayed batch a no-op and serves the run's rows in step order.

-- CreateTable
CREATE TABLE "BatchMetric" (
    "runId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "batch" INTEGER NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "accuracy" DOUBLE PRECISION NOT NULL,
    "learningRate" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BatchMetric_pkey" PRIMARY KEY ("runId","step")
);

-- AddForeignKey
ALTER TABLE "BatchMetric" ADD CONSTRAINT "BatchMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
