// The dashboard's runs list (`/`) under load: `query Runs` in each sort order, page 1 and then the following pages
// through `after: endCursor`, as the page's Next button asks for them.
import { RUNS_QUERY } from './dashboard-documents.js';
import { runLoad, type LoadResult, type TimeRequest } from './http-load.js';
import { postGraphQL } from './post-graphql.js';

/** The dashboard's page size (apps/dashboard/src/app/page.tsx). */
export const RUNS_PAGE_SIZE = 20;

export interface RunOrder {
  readonly field: 'CREATED_AT' | 'BEST_TEST_ACCURACY' | 'NAME';
  readonly direction: 'ASC' | 'DESC';
}

export const RUN_ORDERS: readonly RunOrder[] = (['CREATED_AT', 'BEST_TEST_ACCURACY', 'NAME'] as const).flatMap(
  (field) => (['DESC', 'ASC'] as const).map((direction) => ({ field, direction })),
);

interface RunsData {
  readonly runs: {
    readonly totalCount: number;
    readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
    readonly edges: readonly { readonly node: { readonly id: string } }[];
  };
}

export interface RunsListOrderFigures {
  readonly order: RunOrder;
  /** Latencies of page n (1-based) over the repetitions. */
  readonly pageMs: ReadonlyMap<number, readonly number[]>;
  readonly allMs: readonly number[];
  /** Distinct runs seen over one walk of all the pages: pages * page size when no page skips or repeats a run. */
  readonly distinctRuns: number;
  readonly totalCount: number;
}

/**
 * Walks pages 1 to `pages` of one order, following each page's endCursor, and returns each page's latency and
 * the ids it listed.
 */
async function walkPages(
  url: string,
  order: RunOrder,
  pages: number,
  time: TimeRequest,
): Promise<{ pageMs: number[]; ids: string[]; totalCount: number }> {
  const pageMs: number[] = [];
  const ids: string[] = [];
  let after: string | null = null;
  let totalCount = 0;
  for (let page = 1; page <= pages; page++) {
    const started = performance.now();
    const data: RunsData = await time(() =>
      postGraphQL<RunsData>(url, RUNS_QUERY, { filter: {}, orderBy: order, first: RUNS_PAGE_SIZE, after }),
    );
    pageMs.push(performance.now() - started);
    ids.push(...data.runs.edges.map((edge) => edge.node.id));
    totalCount = data.runs.totalCount;
    if (!data.runs.pageInfo.hasNextPage) break;
    after = data.runs.pageInfo.endCursor;
  }
  return { pageMs, ids, totalCount };
}

/** One client, one request at a time: every order, `repetitions` walks of `pages` pages each (after a warm-up walk). */
export async function benchRunsListSequential(
  url: string,
  options: { readonly repetitions: number; readonly pages: number },
): Promise<RunsListOrderFigures[]> {
  const untimed: TimeRequest = (request) => request();
  for (const order of RUN_ORDERS) await walkPages(url, order, options.pages, untimed);
  const figures: RunsListOrderFigures[] = [];
  for (const order of RUN_ORDERS) {
    const pageMs = new Map<number, number[]>();
    const allMs: number[] = [];
    let distinctRuns = 0;
    let totalCount = 0;
    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      const walk = await walkPages(url, order, options.pages, untimed);
      walk.pageMs.forEach((ms, index) => {
        pageMs.set(index + 1, [...(pageMs.get(index + 1) ?? []), ms]);
        allMs.push(ms);
      });
      distinctRuns = new Set(walk.ids).size;
      totalCount = walk.totalCount;
    }
    figures.push({ order, pageMs, allMs, distinctRuns, totalCount });
  }
  return figures;
}

/**
 * `clients` concurrent users for `durationMs`, spread over the API processes, each repeatedly opening the list in a
 * random order and paging 1 to `maxPages` pages deep.
 */
export function benchRunsListConcurrent(
  urls: readonly string[],
  options: { readonly clients: number; readonly durationMs: number; readonly maxPages: number },
): Promise<LoadResult> {
  return runLoad({
    clients: options.clients,
    durationMs: options.durationMs,
    session: async (client, time) => {
      const order = RUN_ORDERS[Math.floor(Math.random() * RUN_ORDERS.length)]!;
      const pages = 1 + Math.floor(Math.random() * options.maxPages);
      await walkPages(urls[client % urls.length]!, order, pages, time);
    },
  });
}

export function describeOrder(order: RunOrder): string {
  return `${order.field} ${order.direction}`;
}
