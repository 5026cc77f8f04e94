-- Runs put away by archiveRun (and back by unarchiveRun): the runs list leaves them out unless its filter asks for
-- archived runs. Null for every run until it is archived.

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "archivedAt" TIMESTAMP(3);
