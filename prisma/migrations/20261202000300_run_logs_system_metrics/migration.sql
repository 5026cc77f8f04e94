-- Run logs and system metrics: the lines a run's worker printed (the training process's stdout and stderr, and the
-- worker's own lines about the run), and samples of the CPU, memory and GPU its training process used. Both go with
-- their run (ON DELETE CASCADE). The primary keys ("runId", "seq") and ("runId", "at") serve a run's rows in order.

-- CreateEnum
CREATE TYPE "RunLogStream" AS ENUM ('STDOUT', 'STDERR', 'SYSTEM');

-- CreateTable
CREATE TABLE "RunLog" (
    "runId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "stream" "RunLogStream" NOT NULL,
    "line" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunLog_pkey" PRIMARY KEY ("runId","seq")
);

-- CreateTable
CREATE TABLE "SystemMetric" (
    "runId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "cpuPercent" DOUBLE PRECISION NOT NULL,
    "memoryBytes" BIGINT NOT NULL,
    "systemMemoryUsedBytes" BIGINT,
    "gpuUtilization" DOUBLE PRECISION,
    "gpuMemoryBytes" BIGINT,

    CONSTRAINT "SystemMetric_pkey" PRIMARY KEY ("runId","at")
);

-- AddForeignKey
ALTER TABLE "RunLog" ADD CONSTRAINT "RunLog_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SystemMetric" ADD CONSTRAINT "SystemMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
