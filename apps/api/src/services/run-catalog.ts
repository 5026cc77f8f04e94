// The read side of runs: the filtered, sorted and paginated list, single runs, side-by-side comparisons, and each
// run's metrics, model and dataset. RunService holds the write side (start, resume, cancel, and what workers report).
import type { TrainConfig } from '@resnet-lab/trainer';
import { badUserInput, notFound } from '../errors.js';
import { Prisma } from '../generated/prisma/client.js';
import type {
  BatchMetric,
  Dataset,
  EpochMetric,
  Model,
  PrismaClient,
  Run,
  RunStatus,
} from '../generated/prisma/client.js';
import { BatchLoader, byId, groupBy, referenced } from './batch-loader.js';
import type { DatasetService } from './dataset-service.js';
import { ExpiringCache } from './expiring-cache.js';
import type { ModelService } from './model-service.js';
import { checkPageSize } from './page-size.js';
import { DEFAULT_RUN_ORDER, decodeRunCursor, encodeRunCursor, runPageQuery, type RunOrder } from './run-pagination.js';
import { HYPERPARAMETER_FIELDS } from './run-service.js';
import { storedTrainConfig } from './stored-train-config.js';
import { checkMaxPoints, evenlySpaced } from './evenly-spaced.js';

/** Runs in a page when the client does not say. */
export const DEFAULT_RUNS_PAGE_SIZE = 20;
export const MAX_COMPARED_RUNS = 20;
/**
 * How long a filter's totalCount is reused, in milliseconds. Counting every run that matches reads all of them, the
 * one cost of a page that grows with the table; the dashboard asks for it with every page, so it is counted at most
 * once per this period per filter and process, and may lag behind the runs by as much.
 */
export const RUN_COUNT_MAX_AGE_MS = 1_000;
/** Most points Run.batchMetrics returns; the stored rows of a run are at most MAX_STORED_BATCHES (stored-batch.ts). */
export const MAX_BATCH_POINTS = 5000;

/** Conditions a listed run meets; an empty or missing one matches every run. */
export interface RunFilter {
  readonly status?: readonly RunStatus[] | null;
  readonly modelId?: string | null;
  readonly datasetId?: string | null;
  /** Null or false: runs not archived (archiveRun); true: archived runs only. */
  readonly archived?: boolean | null;
  /** Text that the name, a tag or the notes contain, ignoring case; blank matches every run. */
  readonly search?: string | null;
  /** Tags the run has, all of them. */
  readonly tags?: readonly string[] | null;
}

export interface RunListArgs {
  readonly filter?: RunFilter | null;
  readonly orderBy?: RunOrder | null;
  /** Page size, 1 to 100. */
  readonly first?: number | null;
  /** A previous page's endCursor, in the same order. */
  readonly after?: string | null;
}

export interface RunPage {
  readonly edges: { readonly cursor: string; readonly node: Run }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  /** Runs matching the filter, all pages together, as counted up to RUN_COUNT_MAX_AGE_MS ago. */
  readonly totalCount: number;
}

export interface RunComparison {
  readonly runs: Run[];
  readonly hyperparameters: { name: string; values: string[]; differs: boolean }[];
}

/** One stored batch, as Run.batchMetrics returns it. */
export type BatchMetricPoint = Pick<BatchMetric, 'epoch' | 'batch' | 'step' | 'loss' | 'accuracy' | 'learningRate'>;

export class RunCatalog {
  private readonly runs = new BatchLoader<string, Run>(async (ids) =>
    byId(await this.prisma.run.findMany({ where: { id: { in: [...ids] } } })),
  );
  private readonly metricsOfRuns = new BatchLoader<string, EpochMetric[]>(async (runIds) =>
    groupBy(
      await this.prisma.epochMetric.findMany({ where: { runId: { in: [...runIds] } }, orderBy: { epoch: 'asc' } }),
      (metric) => metric.runId,
    ),
  );

  /** By filter (runsMatching's key). */
  private readonly counts = new ExpiringCache<string, number>(RUN_COUNT_MAX_AGE_MS);

  constructor(
    private readonly prisma: PrismaClient,
    private readonly models: ModelService,
    private readonly datasets: DatasetService,
  ) {}

  /**
   * One page of the runs that match the filter, in the given order (newest first by default), and how many match
   * in all. The page and the count read the same condition. Both are raw SQL: Prisma's query builder cannot say
   * "after this row" as an index range (see run-pagination.ts), and compiling a query costs the API more CPU than
   * running it costs PostgreSQL. `SELECT *` rows have the types of Prisma's Run: the driver adapter reads timestamps
   * as Date, jsonb as parsed JSON, enums as their names and bigint as BigInt, as Prisma Client does.
   */
  async list(args: RunListArgs = {}): Promise<RunPage> {
    const pageSize = checkPageSize('first', args.first ?? DEFAULT_RUNS_PAGE_SIZE);
    const order = args.orderBy ?? DEFAULT_RUN_ORDER;
    const after = args.after ? decodeRunCursor(order, args.after) : null;
    const matching = runsMatching(args.filter ?? {});
    const [rows, totalCount] = await Promise.all([
      this.prisma.$queryRaw<Run[]>(runPageQuery(matching.condition, order, after, pageSize + 1)),
      this.counts.get(matching.key, async () => {
        const [{ count }] = await this.prisma.$queryRaw<[{ count: number }]>`
          SELECT count(*)::int AS "count" FROM "Run" WHERE ${matching.condition}`;
        return count;
      }),
    ]);
    const edges = rows.slice(0, pageSize).map((node) => ({ cursor: encodeRunCursor(order, node), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > pageSize, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount,
    };
  }

  async find(id: string): Promise<Run | null> {
    return (await this.runs.load(id)) ?? null;
  }

  /** A run that a stored row refers to, so it exists. */
  async get(id: string): Promise<Run> {
    return referenced('run', id, await this.runs.load(id));
  }

  /** The runs in the order asked, with each hyperparameter's values and whether they differ. */
  async compare(ids: readonly string[]): Promise<RunComparison> {
    if (ids.length < 1 || ids.length > MAX_COMPARED_RUNS) {
      throw badUserInput('ids', `Expected 1 to ${MAX_COMPARED_RUNS} run ids, got ${ids.length}.`);
    }
    const found = byId(await this.prisma.run.findMany({ where: { id: { in: [...ids] } } }));
    const runs = ids.map((id) => found.get(id) ?? throwNotFound(id));
    const hyperparameters = HYPERPARAMETER_FIELDS.map((name) => {
      const values = runs.map((run) => hyperparameterText(storedTrainConfig(run.config), name));
      return { name, values, differs: new Set(values).size > 1 };
    });
    return { runs, hyperparameters };
  }

  /** Every tag that some run has, each once, ignoring case in the order (then upper before lower case). */
  async tags(): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ tag: string }[]>`
      SELECT "tag" FROM (SELECT DISTINCT unnest("tags") AS "tag" FROM "Run") AS "used"
      ORDER BY lower("tag") COLLATE "C", "tag" COLLATE "C"`;
    return rows.map((row) => row.tag);
  }

  /** The run's per-epoch metrics, in epoch order. */
  async metrics(runId: string): Promise<EpochMetric[]> {
    return (await this.metricsOfRuns.load(runId)) ?? [];
  }

  /**
   * At most `maxPoints` of the run's stored batches, in step order, evenly spaced over them: the n stored rows are
   * numbered 0 to n - 1 and row i is kept where floor(i * (maxPoints - 1) / (n - 1)) first takes a value, so each of
   * the maxPoints values keeps one row, the first and last rows included.
   */
  async batchMetrics(runId: string, maxPoints: number): Promise<BatchMetricPoint[]> {
    checkMaxPoints(maxPoints, MAX_BATCH_POINTS);
    return this.prisma.$queryRaw<BatchMetricPoint[]>`
      SELECT "epoch", "batch", "step", "loss", "accuracy", "learningRate"
      FROM (
        SELECT *, row_number() OVER (ORDER BY "step") - 1 AS "index", count(*) OVER () AS "count"
        FROM "BatchMetric"
        WHERE "runId" = ${runId}
      ) AS "numbered"
      WHERE ${evenlySpaced(maxPoints)}
      ORDER BY "step"`;
  }

  model(run: Run): Promise<Model> {
    return this.models.get(run.modelId);
  }

  dataset(run: Run): Promise<Dataset> {
    return this.datasets.get(run.datasetId);
  }
}

/** The filter as a condition on "Run", and a key that is the same for every filter with the same meaning. */
function runsMatching(filter: RunFilter): { readonly condition: Prisma.Sql; readonly key: string } {
  const statuses = [...new Set(filter.status ?? [])].sort();
  const conditions: Prisma.Sql[] = [];
  if (statuses.length > 0) {
    const values = statuses.map((status) => Prisma.sql`CAST(${status} AS "RunStatus")`);
    conditions.push(Prisma.sql`"status" IN (${Prisma.join(values)})`);
  }
  if (filter.modelId) conditions.push(Prisma.sql`"modelId" = ${filter.modelId}`);
  if (filter.datasetId) conditions.push(Prisma.sql`"datasetId" = ${filter.datasetId}`);
  const archived = filter.archived ?? false;
  conditions.push(archived ? Prisma.sql`"archivedAt" IS NOT NULL` : Prisma.sql`"archivedAt" IS NULL`);
  const search = filter.search?.trim() ?? '';
  if (search !== '') conditions.push(containsText(search));
  const tags = [...new Set(filter.tags ?? [])].sort();
  if (tags.length > 0) conditions.push(Prisma.sql`"tags" @> CAST(ARRAY[${Prisma.join(tags)}] AS text[])`);
  return {
    condition: conditions.length > 0 ? Prisma.join(conditions, ' AND ') : Prisma.sql`TRUE`,
    key: JSON.stringify([archived, statuses, filter.modelId || null, filter.datasetId || null, search, tags]),
  };
}

/**
 * Runs whose name, notes or one of whose tags contains `text`, ignoring case (ILIKE, with `text`'s own `%`, `_` and
 * `\` matched literally).
 */
function containsText(text: string): Prisma.Sql {
  const pattern = `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  return Prisma.sql`("name" ILIKE ${pattern} OR "notes" ILIKE ${pattern}
    OR EXISTS (SELECT FROM unnest("tags") AS "tag" WHERE "tag" ILIKE ${pattern}))`;
}

function hyperparameterText(config: TrainConfig, field: (typeof HYPERPARAMETER_FIELDS)[number]): string {
  const value = config[field];
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function throwNotFound(id: string): never {
  throw notFound('run', id);
}
