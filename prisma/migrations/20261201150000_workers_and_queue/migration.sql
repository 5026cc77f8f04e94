-- Workers on any machine claim runs from the queue (graphile-worker, in its own schema). A run records which worker
-- trains it, how often it was claimed, and a cancel request the worker acts on. (No semicolons in comments: the
-- schema engine splits the script on them.)

-- CreateEnum
CREATE TYPE "RunSource" AS ENUM ('QUEUE', 'CLI');

-- CreateEnum
CREATE TYPE "WorkerStatus" AS ENUM ('ONLINE', 'STOPPED', 'LOST');

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cancelRequestedAt" TIMESTAMP(3),
ADD COLUMN     "source" "RunSource" NOT NULL DEFAULT 'QUEUE',
ADD COLUMN     "workerId" TEXT;

-- CreateTable
CREATE TABLE "Worker" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "backend" TEXT NOT NULL,
    "device" TEXT NOT NULL,
    "queueWorkerId" TEXT NOT NULL,
    "heartbeatSeconds" INTEGER NOT NULL,
    "status" "WorkerStatus" NOT NULL DEFAULT 'ONLINE',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastHeartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" TIMESTAMP(3),

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Worker_status_idx" ON "Worker"("status");

-- DropIndex
DROP INDEX "Run_createdAt_idx";

-- CreateIndex
CREATE INDEX "Run_createdAt_id_idx" ON "Run"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Run_bestTestAccuracy_id_idx" ON "Run"("bestTestAccuracy", "id");

-- CreateIndex
CREATE INDEX "Run_name_id_idx" ON "Run"("name", "id");

-- CreateIndex
CREATE INDEX "Run_modelId_idx" ON "Run"("modelId");

-- CreateIndex
CREATE INDEX "Run_datasetId_idx" ON "Run"("datasetId");

-- CreateIndex
CREATE INDEX "Run_workerId_idx" ON "Run"("workerId");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker"("id") ON DELETE SET NULL ON UPDATE CASCADE;
