// The keyset conditions and sort orders of the runs connection, evaluated in memory as PostgreSQL evaluates them
// (a comparison with NULL is not true) and checked against each order's expected list. run-catalog.test.ts pages
// through the same runs on a real database.
import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Prisma } from '../generated/prisma/client.js';
import { ALL_RUN_ORDERS, expectedRunOrder, tiedRuns } from '../../test-support/tied-runs.js';
import {
  decodeRunCursor,
  encodeRunCursor,
  runOrderBy,
  runsAfter,
  type RunOrder,
  type RunSortKey,
} from './run-pagination.js';

type Comparable = string | number | Date;

function compare(a: Comparable, b: Comparable): number {
  const [x, y] = a instanceof Date && b instanceof Date ? [a.getTime(), b.getTime()] : [a, b];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A Prisma `where` over the fields of RunSortKey, with SQL's NULL semantics. Refuses what it does not know. */
function matches(run: RunSortKey, where: Prisma.RunWhereInput): boolean {
  return Object.entries(where).every(([key, condition]: [string, unknown]) => {
    if (key === 'OR') return (condition as Prisma.RunWhereInput[]).some((part) => matches(run, part));
    if (key === 'AND') return (condition as Prisma.RunWhereInput[]).every((part) => matches(run, part));
    const value = run[key as keyof RunSortKey];
    if (condition === null) return value === null;
    if (typeof condition === 'string' || typeof condition === 'number' || condition instanceof Date) {
      return value !== null && compare(value, condition) === 0;
    }
    const { gt, lt, ...rest } = condition as { gt?: Comparable; lt?: Comparable };
    if (Object.keys(rest).length > 0 || (gt === undefined) === (lt === undefined)) {
      throw new Error(`Unsupported condition on ${key}: ${JSON.stringify(condition)}`);
    }
    if (value === null) return false;
    return gt !== undefined ? compare(value, gt) > 0 : compare(value, lt!) < 0;
  });
}

/** A Prisma `orderBy` over the fields of RunSortKey, as PostgreSQL sorts (nulls as asked). */
function sortBy(runs: readonly RunSortKey[], orderBy: Prisma.RunOrderByWithRelationInput[]): RunSortKey[] {
  const keys = orderBy.map((entry) => {
    const [[field, spec]] = Object.entries(entry) as [[keyof RunSortKey, unknown]];
    const { sort, nulls } =
      typeof spec === 'string' ? { sort: spec, nulls: undefined } : (spec as Prisma.SortOrderInput);
    // PostgreSQL's default: NULLS LAST ascending, NULLS FIRST descending.
    return {
      field,
      sign: sort === 'asc' ? 1 : -1,
      nullsLast: (nulls ?? (sort === 'asc' ? 'last' : 'first')) === 'last',
    };
  });
  return [...runs].sort((a, b) => {
    for (const { field, sign, nullsLast } of keys) {
      const [x, y] = [a[field], b[field]];
      if (x === null && y === null) continue;
      if (x === null || y === null) return (x === null) === nullsLast ? 1 : -1;
      const order = compare(x, y) * sign;
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** Pages through the runs as RunCatalog does: the rows after the cursor, sorted, one more than the page. */
function paginate(runs: readonly RunSortKey[], order: RunOrder, pageSize: number): string[][] {
  const pages: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const where = after ? runsAfter(decodeRunCursor(order, after)) : {};
    const rows = sortBy(
      runs.filter((run) => matches(run, where)),
      runOrderBy(order),
    ).slice(0, pageSize + 1);
    const page = rows.slice(0, pageSize);
    pages.push(page.map((run) => run.id));
    if (rows.length <= pageSize) return pages;
    after = encodeRunCursor(order, page.at(-1)!);
  }
}

function errorOf(action: () => unknown): GraphQLError {
  try {
    action();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('Expected an error.');
}

describe('keyset pagination of runs', () => {
  const runs = tiedRuns();

  it('has the ties and nulls the test relies on', () => {
    expect(new Set(runs.map((run) => run.id)).size).toBe(25);
    expect(runs.filter((run) => run.bestTestAccuracy === null)).toHaveLength(7);
    expect(new Set(runs.map((run) => run.createdAt.getTime())).size).toBe(5);
    expect(new Set(runs.map((run) => run.name)).size).toBe(4);
  });

  it.each(ALL_RUN_ORDERS)('sorts by $field $direction, then by id the same way', (order) => {
    expect(sortBy(runs, runOrderBy(order)).map((run) => run.id)).toEqual(expectedRunOrder(runs, order));
  });

  it.each(ALL_RUN_ORDERS)('pages by $field $direction 4 at a time with no run skipped or repeated', (order) => {
    const pages = paginate(runs, order, 4);
    expect(pages.map((page) => page.length)).toEqual([4, 4, 4, 4, 4, 4, 1]);
    expect(pages.flat()).toEqual(expectedRunOrder(runs, order));
  });

  it('puts the unscored runs after the scored ones in both directions, and only them after an unscored one', () => {
    const scored: RunSortKey = { id: 'run-10', name: 'n', createdAt: new Date(0), bestTestAccuracy: 0.5 };
    const unscored: RunSortKey = { ...scored, bestTestAccuracy: null };
    for (const direction of ['ASC', 'DESC'] as const) {
      const order: RunOrder = { field: 'BEST_TEST_ACCURACY', direction };
      const after = (run: RunSortKey) => runsAfter(decodeRunCursor(order, encodeRunCursor(order, run)));
      expect(matches({ ...unscored, id: 'run-00' }, after(scored))).toBe(true);
      expect(matches({ ...unscored, id: 'run-99' }, after(scored))).toBe(true);
      expect(matches({ ...scored, id: 'run-99', bestTestAccuracy: 0.6 }, after(unscored))).toBe(false);
      expect(after(unscored)).toEqual({
        bestTestAccuracy: null,
        id: direction === 'ASC' ? { gt: 'run-10' } : { lt: 'run-10' },
      });
    }
  });

  it('refuses a cursor that is not one, naming the argument', () => {
    const order: RunOrder = { field: 'NAME', direction: 'ASC' };
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'garbage',
      '',
      forge(null),
      forge({ field: 'NAME', direction: 'ASC', value: 3, id: 'run-01' }),
      forge({ field: 'NAME', direction: 'ASC', value: 'a' }),
      forge({ field: 'CREATED_AT', direction: 'ASC', value: 'yesterday', id: 'run-01' }),
      forge({ field: 'BEST_TEST_ACCURACY', direction: 'ASC', value: '0.5', id: 'run-01' }),
    ]) {
      const error = errorOf(() => decodeRunCursor(order, cursor));
      expect(error.extensions, cursor).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(error.message).toBe(`Expected a cursor of the runs connection (a page's endCursor), got '${cursor}'.`);
    }
  });

  it('refuses a cursor of another order, saying which', () => {
    const cursor = encodeRunCursor({ field: 'NAME', direction: 'ASC' }, runs[0]!);
    const error = errorOf(() => decodeRunCursor({ field: 'NAME', direction: 'DESC' }, cursor));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after', value: cursor });
    expect(error.message).toBe(
      `The cursor '${cursor}' is from runs sorted by NAME ASC, not NAME DESC; start again without 'after' when ` +
        'the order changes.',
    );
  });
});
