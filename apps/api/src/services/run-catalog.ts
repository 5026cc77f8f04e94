// The read side of runs: the filtered, sorted and paginated list, single runs, side-by-side comparisons, and each
// run's metrics, model and dataset. RunService holds the write side (start, resume, cancel, and what workers report).
import type { TrainConfig } from '@resnet-lab/trainer';
import { badUserInput, notFound } from '../errors.js';
import type { Dataset, EpochMetric, Model, Prisma, PrismaClient, Run, RunStatus } from '../generated/prisma/client.js';
import { BatchLoader, byId, groupBy, referenced } from './batch-loader.js';
import type { DatasetService } from './dataset-service.js';
import type { ModelService } from './model-service.js';
import { checkPageSize } from './page-size.js';
import {
  DEFAULT_RUN_ORDER,
  decodeRunCursor,
  encodeRunCursor,
  runOrderBy,
  runsAfter,
  type RunOrder,
} from './run-pagination.js';
import { HYPERPARAMETER_FIELDS } from './run-service.js';

/** Runs in a page when the client does not say. */
export const DEFAULT_RUNS_PAGE_SIZE = 20;
export const MAX_COMPARED_RUNS = 20;

/** Conditions a listed run meets; an empty or missing one matches every run. */
export interface RunFilter {
  readonly status?: readonly RunStatus[] | null;
  readonly modelId?: string | null;
  readonly datasetId?: string | null;
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
  /** Runs matching the filter, all pages together. */
  readonly totalCount: number;
}

export interface RunComparison {
  readonly runs: Run[];
  readonly hyperparameters: { name: string; values: string[]; differs: boolean }[];
}

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

  constructor(
    private readonly prisma: PrismaClient,
    private readonly models: ModelService,
    private readonly datasets: DatasetService,
  ) {}

  /**
   * One page of the runs that match the filter, in the given order (newest first by default), and how many match
   * in all. The page and the count read the same condition.
   */
  async list(args: RunListArgs = {}): Promise<RunPage> {
    const pageSize = checkPageSize('first', args.first ?? DEFAULT_RUNS_PAGE_SIZE);
    const order = args.orderBy ?? DEFAULT_RUN_ORDER;
    const matching = runsMatching(args.filter ?? {});
    const after = args.after ? runsAfter(decodeRunCursor(order, args.after)) : null;
    const [rows, totalCount] = await Promise.all([
      this.prisma.run.findMany({
        where: after ? { AND: [matching, after] } : matching,
        orderBy: runOrderBy(order),
        take: pageSize + 1,
      }),
      this.prisma.run.count({ where: matching }),
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
      const values = runs.map((run) => hyperparameterText(run.config as unknown as TrainConfig, name));
      return { name, values, differs: new Set(values).size > 1 };
    });
    return { runs, hyperparameters };
  }

  /** The run's per-epoch metrics, in epoch order. */
  async metrics(runId: string): Promise<EpochMetric[]> {
    return (await this.metricsOfRuns.load(runId)) ?? [];
  }

  model(run: Run): Promise<Model> {
    return this.models.get(run.modelId);
  }

  dataset(run: Run): Promise<Dataset> {
    return this.datasets.get(run.datasetId);
  }
}

function runsMatching(filter: RunFilter): Prisma.RunWhereInput {
  return {
    ...(filter.status?.length ? { status: { in: [...filter.status] } } : {}),
    ...(filter.modelId ? { modelId: filter.modelId } : {}),
    ...(filter.datasetId ? { datasetId: filter.datasetId } : {}),
  };
}

function hyperparameterText(config: TrainConfig, field: (typeof HYPERPARAMETER_FIELDS)[number]): string {
  const value = config[field];
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function throwNotFound(id: string): never {
  throw notFound('run', id);
}
