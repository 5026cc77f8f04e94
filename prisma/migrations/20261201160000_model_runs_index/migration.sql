-- A model's newest runs and its run count read its range of one index, newest first: the Models page lists the
-- newest runs of every model and counts them, which otherwise ranks or counts every run of the table. The new index
-- starts with "modelId", so it also serves what the index on "modelId" alone did (the foreign key's lookups).

-- DropIndex
DROP INDEX "Run_modelId_idx";

-- CreateIndex
CREATE INDEX "Run_modelId_createdAt_id_idx" ON "Run"("modelId", "createdAt" DESC, "id" DESC);
