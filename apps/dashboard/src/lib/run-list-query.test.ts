import { describe, expect, it } from 'vitest';
import {
  changeRunListQuery,
  DEFAULT_RUN_LIST_QUERY,
  followRunListUrl,
  initialRunListView,
  isFiltered,
  nextRunPage,
  parseRunListQuery,
  previousRunPage,
  requestRunListView,
  runListSearch,
  runListVariables,
  sortRunsBy,
  type RunListQuery,
} from './run-list-query';

const parse = (search: string) => parseRunListQuery(new URLSearchParams(search));

/** A view that sets everything, with text that needs escaping. */
const EVERYTHING: RunListQuery = {
  search: 'lr 0.1 & 50% / #2',
  tags: ['baseline', 'sweep/2', 'lr:0.1'],
  status: 'COMPLETED',
  modelId: 'model-1',
  datasetId: 'dataset-1',
  archived: true,
  sort: { field: 'BEST_TEST_ACCURACY', direction: 'ASC' },
  after: ['eyJhIjoxfQ', 'eyJhIjoyfQ'],
};

describe('runListSearch and parseRunListQuery', () => {
  it('leave the default view out of the URL, and read an empty one as the default', () => {
    expect(runListSearch(DEFAULT_RUN_LIST_QUERY)).toBe('');
    expect(parse('')).toEqual(DEFAULT_RUN_LIST_QUERY);
  });

  it('write every filter, the sort and the page, and read them back the same', () => {
    const search = runListSearch(EVERYTHING);
    expect(search).toBe(
      'q=lr+0.1+%26+50%25+%2F+%232&tag=baseline&tag=sweep%2F2&tag=lr%3A0.1&status=COMPLETED&model=model-1' +
        '&dataset=dataset-1&archived=1&sort=accuracy&order=asc&after=eyJhIjoxfQ&after=eyJhIjoyfQ',
    );
    expect(parse(search)).toEqual(EVERYTHING);
  });

  it('write each sort other than newest first, and read each back', () => {
    const sorts = (['CREATED_AT', 'NAME', 'BEST_TEST_ACCURACY'] as const).flatMap((field) =>
      (['ASC', 'DESC'] as const).map((direction) => ({ field, direction })),
    );
    expect(sorts.map((sort) => runListSearch({ ...DEFAULT_RUN_LIST_QUERY, sort }))).toEqual([
      'sort=created&order=asc',
      '',
      'sort=name&order=asc',
      'sort=name&order=desc',
      'sort=accuracy&order=asc',
      'sort=accuracy&order=desc',
    ]);
    for (const sort of sorts) expect(parse(runListSearch({ ...DEFAULT_RUN_LIST_QUERY, sort })).sort).toEqual(sort);
  });

  it('take the default for what a hand-edited URL gets wrong', () => {
    expect(parse('status=DONE&sort=speed&order=up&archived=yes&tag=&tag=a&tag=a&after=&model=')).toEqual({
      ...DEFAULT_RUN_LIST_QUERY,
      tags: ['a'],
    });
    expect(parse('sort=name').sort).toEqual({ field: 'NAME', direction: 'DESC' });
  });
});

describe('changing the view', () => {
  it('goes back to the first page when a filter, the search or the sort changes', () => {
    expect(changeRunListQuery(EVERYTHING, { search: 'other' })).toEqual({ ...EVERYTHING, search: 'other', after: [] });
    expect(changeRunListQuery(EVERYTHING, { tags: [] })).toEqual({ ...EVERYTHING, tags: [], after: [] });
    expect(sortRunsBy(EVERYTHING, 'NAME')).toEqual({
      ...EVERYTHING,
      sort: { field: 'NAME', direction: 'DESC' },
      after: [],
    });
  });

  it('sorts a column descending first, then ascending, then descending again', () => {
    const once = sortRunsBy(DEFAULT_RUN_LIST_QUERY, 'NAME');
    const twice = sortRunsBy(once, 'NAME');
    expect([once.sort, twice.sort, sortRunsBy(twice, 'NAME').sort]).toEqual([
      { field: 'NAME', direction: 'DESC' },
      { field: 'NAME', direction: 'ASC' },
      { field: 'NAME', direction: 'DESC' },
    ]);
    expect(sortRunsBy(DEFAULT_RUN_LIST_QUERY, 'CREATED_AT').sort).toEqual({ field: 'CREATED_AT', direction: 'ASC' });
  });

  it('pages forward by each page’s endCursor and back by dropping the last', () => {
    const second = nextRunPage(DEFAULT_RUN_LIST_QUERY, 'c1');
    const third = nextRunPage(second, 'c2');
    expect(third.after).toEqual(['c1', 'c2']);
    expect(previousRunPage(third)).toEqual(second);
    expect(previousRunPage(second)).toEqual(DEFAULT_RUN_LIST_QUERY);
  });

  it('counts search text, tags, status, model, dataset and archived as filters, but not sort or page', () => {
    expect(isFiltered(DEFAULT_RUN_LIST_QUERY)).toBe(false);
    expect(isFiltered({ ...DEFAULT_RUN_LIST_QUERY, search: '  ' })).toBe(false);
    expect(isFiltered({ ...DEFAULT_RUN_LIST_QUERY, sort: EVERYTHING.sort, after: ['c1'] })).toBe(false);
    const filters: Partial<RunListQuery>[] = [
      { search: 'x' },
      { tags: ['x'] },
      { status: 'FAILED' },
      { modelId: 'm' },
      { datasetId: 'd' },
      { archived: true },
    ];
    expect(filters.map((filter) => isFiltered({ ...DEFAULT_RUN_LIST_QUERY, ...filter }))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});

describe('runListVariables', () => {
  it('asks for the default view with an empty filter, newest first, from the start', () => {
    expect(runListVariables(DEFAULT_RUN_LIST_QUERY, 20)).toEqual({
      filter: {},
      orderBy: { field: 'CREATED_AT', direction: 'DESC' },
      first: 20,
      after: null,
    });
  });

  it('passes every condition, the trimmed search, the sort and the current page’s cursor', () => {
    expect(runListVariables({ ...EVERYTHING, search: '  needle ' }, 5)).toEqual({
      filter: {
        search: 'needle',
        tags: ['baseline', 'sweep/2', 'lr:0.1'],
        status: ['COMPLETED'],
        modelId: 'model-1',
        datasetId: 'dataset-1',
        archived: true,
      },
      orderBy: { field: 'BEST_TEST_ACCURACY', direction: 'ASC' },
      first: 5,
      after: 'eyJhIjoyfQ',
    });
  });
});

describe('the view while the URL catches up', () => {
  const params = (search: string) => new URLSearchParams(search);

  it('builds a second change on the first before the URL shows either, and keeps it as the URL arrives', () => {
    const start = initialRunListView(params('q=run'));
    const first = requestRunListView(start, changeRunListQuery(start.query, { tags: [] }));
    expect(first.url).toBeNull();
    const tagged = requestRunListView(start, changeRunListQuery(start.query, { tags: ['sweep'] }));
    expect(tagged.url).toBe('q=run&tag=sweep');
    // Sorting before the URL has the tag keeps the tag.
    const sorted = requestRunListView(tagged.view, sortRunsBy(tagged.view.query, 'NAME'));
    expect(sorted.url).toBe('q=run&tag=sweep&sort=name&order=desc');
    expect(sorted.view).toEqual({
      query: { ...DEFAULT_RUN_LIST_QUERY, search: 'run', tags: ['sweep'], sort: { field: 'NAME', direction: 'DESC' } },
      url: 'q=run',
      requested: ['q=run&tag=sweep', 'q=run&tag=sweep&sort=name&order=desc'],
    });
    // The URL as it was, then each requested one: the view stays the latest.
    expect(followRunListUrl(sorted.view, params('q=run'))).toBe(sorted.view);
    const halfway = followRunListUrl(sorted.view, params('q=run&tag=sweep'));
    expect(halfway).toEqual({ ...sorted.view, url: 'q=run&tag=sweep', requested: [sorted.url] });
    expect(followRunListUrl(halfway, params(sorted.url!))).toEqual({
      ...sorted.view,
      url: sorted.url,
      requested: [],
    });
  });

  it('takes the view of a URL it did not ask for: Back, Forward or a link', () => {
    const start = initialRunListView(params('q=run'));
    const { view } = requestRunListView(start, changeRunListQuery(start.query, { status: 'FAILED' }));
    expect(followRunListUrl(view, params('tag=other&after=c1'))).toEqual({
      query: { ...DEFAULT_RUN_LIST_QUERY, tags: ['other'], after: ['c1'] },
      url: 'tag=other&after=c1',
      requested: [],
    });
  });
});
