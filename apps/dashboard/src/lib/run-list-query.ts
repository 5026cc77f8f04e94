// The runs list's view (filters, search, sort and page) as the URL's query string, so that a reload or a shared link
// shows the same runs: `?q=text&tag=a&tag=b&status=RUNNING&model=<id>&dataset=<id>&archived=1&sort=name&order=asc
// &after=<cursor>&after=<cursor>`. Defaults are left out, so the plain list is plain `/`.
import type {
  RunFilter,
  RunOrder,
  RunOrderField,
  RunsQueryVariables,
  RunStatus,
  SortDirection,
} from '../generated/graphql';

/** Everything that decides which runs the list shows. */
export interface RunListQuery {
  /** Text the name, a tag or the notes contain; '' for none. */
  readonly search: string;
  /** Runs having all of these tags. */
  readonly tags: readonly string[];
  readonly status: RunStatus | null;
  readonly modelId: string | null;
  readonly datasetId: string | null;
  /** Archived runs instead of the others. */
  readonly archived: boolean;
  readonly sort: RunOrder;
  /**
   * The endCursor of each page before the current one, first page first: the current page starts after the last,
   * and Previous drops it. Empty on the first page. Cursors are base64url, so they need no escaping.
   */
  readonly after: readonly string[];
}

export const DEFAULT_RUN_SORT: RunOrder = { field: 'CREATED_AT', direction: 'DESC' };

export const DEFAULT_RUN_LIST_QUERY: RunListQuery = {
  search: '',
  tags: [],
  status: null,
  modelId: null,
  datasetId: null,
  archived: false,
  sort: DEFAULT_RUN_SORT,
  after: [],
};

const STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
/** Sort fields as the URL names them. */
const SORT_NAMES: Readonly<Record<RunOrderField, string>> = {
  CREATED_AT: 'created',
  NAME: 'name',
  BEST_TEST_ACCURACY: 'accuracy',
};

/** What URLSearchParams and Next's ReadonlyURLSearchParams both offer. */
interface SearchParams {
  get(name: string): string | null;
  getAll(name: string): string[];
}

/** The view a query string describes; what it does not say, or says wrongly, takes the default. */
export function parseRunListQuery(params: SearchParams): RunListQuery {
  const status = params.get('status');
  const sortName = params.get('sort');
  const field = (Object.keys(SORT_NAMES) as RunOrderField[]).find((key) => SORT_NAMES[key] === sortName);
  const order = params.get('order');
  const sort: RunOrder = field ? { field, direction: order === 'asc' ? 'ASC' : 'DESC' } : DEFAULT_RUN_SORT;
  return {
    search: params.get('q') ?? '',
    tags: unique(params.getAll('tag').filter((tag) => tag !== '')),
    status: STATUSES.find((value) => value === status) ?? null,
    modelId: params.get('model') || null,
    datasetId: params.get('dataset') || null,
    archived: params.get('archived') === '1',
    sort,
    after: params.getAll('after').filter((cursor) => cursor !== ''),
  };
}

/** The query string of a view, without '?': '' for the default view. parseRunListQuery reads it back. */
export function runListSearch(query: RunListQuery): string {
  const params = new URLSearchParams();
  if (query.search !== '') params.set('q', query.search);
  for (const tag of query.tags) params.append('tag', tag);

  if (query.status) params.set('status', query.status);
  if (query.modelId) params.set('model', query.modelId);
  if (query.datasetId) params.set('dataset', query.datasetId);
  if (query.archived) params.set('archived', '1');
  if (query.sort.field !== DEFAULT_RUN_SORT.field || query.sort.direction !== DEFAULT_RUN_SORT.direction) {
    params.set('sort', SORT_NAMES[query.sort.field]);
    params.set('order', query.sort.direction === 'ASC' ? 'asc' : 'desc');
  }
  for (const cursor of query.after) params.append('after', cursor);
  return params.toString();
}

/** The view with some filters, the search or the sort changed: back to the first page, as its cursors no longer fit. */
export function changeRunListQuery(query: RunListQuery, change: Partial<Omit<RunListQuery, 'after'>>): RunListQuery {
  return { ...query, ...change, after: [] };
}

/** Sorting by a column: descending first, then ascending when it is sorted by it descending already. */
export function sortRunsBy(query: RunListQuery, field: RunOrderField): RunListQuery {
  const direction: SortDirection = query.sort.field === field && query.sort.direction === 'DESC' ? 'ASC' : 'DESC';
  return changeRunListQuery(query, { sort: { field, direction } });
}

/** The page after the current one, which ended at `endCursor`. */
export function nextRunPage(query: RunListQuery, endCursor: string): RunListQuery {
  return { ...query, after: [...query.after, endCursor] };
}

/** The page before the current one. */
export function previousRunPage(query: RunListQuery): RunListQuery {
  return { ...query, after: query.after.slice(0, -1) };
}

/**
 * The view the list shows, and the query strings it asked the router for that the URL has not reached yet: the URL
 * follows router.replace a moment later, and a change made meanwhile (a second click) must build on the first.
 */
export interface RunListView {
  readonly query: RunListQuery;
  /** The URL's query string when last seen, without '?'. */
  readonly url: string;
  readonly requested: readonly string[];
}

export function initialRunListView(params: SearchParams & { toString(): string }): RunListView {
  return { query: parseRunListQuery(params), url: params.toString(), requested: [] };
}

/**
 * The view once the URL is `params`: the same view (the same object) when the URL has not changed or is one the view
 * asked for; otherwise (Back, Forward, a link) the view the URL describes.
 */
export function followRunListUrl(view: RunListView, params: SearchParams & { toString(): string }): RunListView {
  const url = params.toString();
  if (url === view.url) return view;
  const index = view.requested.indexOf(url);
  if (index >= 0) return { ...view, url, requested: view.requested.slice(index + 1) };
  return initialRunListView(params);
}

/** The view showing `next`, and the query string to put in the URL; null when the view does not change. */
export function requestRunListView(view: RunListView, next: RunListQuery): { view: RunListView; url: string | null } {
  const url = runListSearch(next);
  if (url === runListSearch(view.query)) return { view, url: null };
  const arrived = url === view.url && view.requested.length === 0;
  return { view: { ...view, query: next, requested: arrived ? [] : [...view.requested, url] }, url };
}

/** Whether any condition narrows the runs shown (the sort and page do not). */
export function isFiltered(query: RunListQuery): boolean {
  return (
    query.search.trim() !== '' ||
    query.tags.length > 0 ||
    query.status !== null ||
    query.modelId !== null ||
    query.datasetId !== null ||
    query.archived
  );
}

/** The variables of the Runs query for the view, `pageSize` runs a page. */
export function runListVariables(query: RunListQuery, pageSize: number): RunsQueryVariables {
  const filter: RunFilter = {
    ...(query.search.trim() !== '' ? { search: query.search.trim() } : {}),
    ...(query.tags.length > 0 ? { tags: [...query.tags] } : {}),
    ...(query.status ? { status: [query.status] } : {}),
    ...(query.modelId ? { modelId: query.modelId } : {}),
    ...(query.datasetId ? { datasetId: query.datasetId } : {}),
    ...(query.archived ? { archived: true } : {}),
  };
  return { filter, orderBy: query.sort, first: pageSize, after: query.after.at(-1) ?? null };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
