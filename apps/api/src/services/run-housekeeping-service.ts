// Putting runs away: archiving hides a finished run from the runs list (RunFilter.archived shows it again), deleting
// removes its rows and then its files in the artifact store.
import path from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { conflict, notFound } from '../errors.js';
import { FINAL_STATUSES } from '../events/run-events.js';
import type { Prisma, PrismaClient, Run } from '../generated/prisma/client.js';
import { notify } from './run-recorder.js';

export class RunHousekeepingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly artifacts: ArtifactStore,
  ) {}

  /**
   * Archives a finished run and returns it; one already archived keeps its archivedAt. A QUEUED or RUNNING run is
   * refused with CONFLICT: hidden, it would go on training out of sight.
   */
  async archive(id: string): Promise<Run> {
    return this.prisma.$transaction(async (transaction) => {
      const run = await lockRun(transaction, id);
      if (!FINAL_STATUSES.has(run.status)) {
        throw conflict(
          `Run '${run.name}' is ${run.status}: only a finished run can be archived; cancel it with cancelRun first.`,
        );
      }
      if (run.archivedAt) return run;
      const archived = await transaction.run.update({ where: { id }, data: { archivedAt: new Date() } });
      await notify(transaction, { kind: 'updated', runId: id });
      return archived;
    });
  }

  /** Brings an archived run back into the runs list and returns it; one not archived is returned as it is. */
  async unarchive(id: string): Promise<Run> {
    return this.prisma.$transaction(async (transaction) => {
      const run = await lockRun(transaction, id);
      if (!run.archivedAt) return run;
      const restored = await transaction.run.update({ where: { id }, data: { archivedAt: null } });
      await notify(transaction, { kind: 'updated', runId: id });
      return restored;
    });
  }

  /**
   * Deletes a finished run and returns its id: everything it recorded (epoch and batch metrics, logs, system metrics,
   * checkpoints with their evaluations) and the predictions made with its checkpoints go with it in one transaction; once that is committed, its directory in the
   * artifact store goes too. Refused with CONFLICT while it is QUEUED or RUNNING, while one of its checkpoints is a
   * model version (the version's weights are a copy, but it records the checkpoint, run and epoch it came from), and
   * while a run resumed from one of its checkpoints (that run's history continues this one's). Files outside the
   * artifact store (a CLI-tracked run's directory on its own machine) are not touched.
   */
  async delete(id: string): Promise<string> {
    const locations = await this.prisma.$transaction(async (transaction) => {
      const run = await lockRun(transaction, id);
      if (!FINAL_STATUSES.has(run.status)) {
        throw conflict(`Run '${run.name}' is ${run.status}: cancel it with cancelRun first, then delete it.`);
      }
      // Locked, so that a promotion or resumeRun that refers to one of them meanwhile either commits first (and is
      // counted below) or waits and then fails on its foreign key, instead of losing what it refers to.
      const checkpoints = await transaction.$queryRaw<{ id: string; location: string }[]>`
        SELECT "id", "location" FROM "Checkpoint" WHERE "runId" = ${id} ORDER BY "epoch" FOR UPDATE`;
      await refuseWhileReferenced(transaction, run);
      await transaction.prediction.deleteMany({ where: { checkpoint: { runId: id } } });
      // What it recorded cascades: metrics, batch metrics, logs, system metrics, checkpoints and their evaluations.
      await transaction.run.delete({ where: { id } });
      return [run.outputDir, ...checkpoints.map((checkpoint) => checkpoint.location)];
    });
    const keys = this.storeKeys(locations);
    try {
      for (const key of keys) await this.artifacts.remove(key);
    } catch (error) {
      throw new Error(
        `Run ${id} was deleted, but removing its files (${keys.join(', ')}) from ${this.artifacts.description} ` +
          'failed; nothing refers to them any more, so they can be removed by hand.',
        { cause: error },
      );
    }
    return id;
  }

  /**
   * The keys in the artifact store of the run's directory and checkpoint locations, each only once: a location inside
   * a directory that goes is left out. Locations outside the store (absolute paths of CLI-tracked runs) and empty ones
   * are skipped.
   */
  private storeKeys(locations: readonly string[]): string[] {
    const keys: string[] = [];
    for (const location of locations) {
      if (location === '') continue;
      const key = this.artifacts.keyOf(this.artifacts.resolve(location));
      if (path.isAbsolute(key) || keys.some((kept) => key === kept || key.startsWith(`${kept}/`))) continue;
      keys.push(key);
    }
    return keys;
  }
}

/** The run's row, locked until the transaction ends so that no worker claims it meanwhile. */
async function lockRun(transaction: Prisma.TransactionClient, id: string): Promise<Run> {
  const [run] = await transaction.$queryRaw<Run[]>`SELECT * FROM "Run" WHERE "id" = ${id} FOR UPDATE`;
  if (!run) throw notFound('run', id);
  return run;
}

/** Refuses, with CONFLICT, to delete a run whose checkpoints a model version or a resumed run refers to. */
async function refuseWhileReferenced(transaction: Prisma.TransactionClient, run: Run): Promise<void> {
  const versions = await transaction.modelVersion.findMany({
    where: { checkpoint: { runId: run.id } },
    include: { model: true, checkpoint: true },
    orderBy: [{ model: { name: 'asc' } }, { version: 'asc' }],
  });
  if (versions.length > 0) {
    const list = versions
      .map((version) => `'${version.model.name}' v${version.version} from epoch ${version.checkpoint.epoch}`)
      .join(', ');
    throw conflict(
      `Run '${run.name}' cannot be deleted: ${counted(versions.length, 'model version was', 'model versions were')} ` +
        `promoted from its checkpoints (${list}) and ${versions.length === 1 ? 'records the run it' : 'record the run they'} ` +
        'came from. ' +
        'Delete them with deleteModelVersion first, or archive the run with archiveRun to hide it.',
    );
  }
  const resumedBy = await transaction.run.findMany({
    where: { resumedFromCheckpoint: { runId: run.id } },
    select: { id: true, name: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (resumedBy.length > 0) {
    const one = resumedBy.length === 1;
    const list = resumedBy.map((resumed) => `'${resumed.name}' (${resumed.id})`).join(', ');
    throw conflict(
      `Run '${run.name}' cannot be deleted: ${one ? 'run' : 'runs'} ${list} resumed from its checkpoints and ` +
        `${one ? 'continues' : 'continue'} its history. Delete ${one ? 'it' : 'them'} first, or archive the run with ` +
        'archiveRun to hide it.',
    );
  }
}

/** '1 model version was', '2 model versions were'. */
function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
