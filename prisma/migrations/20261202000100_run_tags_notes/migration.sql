-- Tags and notes that a person gives a run (updateRun), to find it again: the runs filter searches names, tags and
-- notes, and lists the runs having all the given tags, an array containment that the GIN index on "tags" answers.

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "notes" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateIndex
CREATE INDEX "Run_tags_idx" ON "Run" USING GIN ("tags");
