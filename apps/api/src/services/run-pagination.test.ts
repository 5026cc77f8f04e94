// The cursors of the runs connection and the statement that reads a page. run-catalog.test.ts pages through runs
// whose sort values tie and whose accuracies are partly missing on a real database, in all six orders.
import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Prisma } from '../generated/prisma/client.js';
import { ALL_RUN_ORDERS, tiedRuns } from '../../test-support/tied-runs.js';
import { decodeRunCursor, encodeRunCursor, runPageQuery, type RunOrder, type RunSortKey } from './run-pagination.js';

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

  it('has the ties and nulls the tests rely on', () => {
    expect(new Set(runs.map((run) => run.id)).size).toBe(25);
    expect(runs.filter((run) => run.bestTestAccuracy === null)).toHaveLength(7);
    expect(new Set(runs.map((run) => run.createdAt.getTime())).size).toBe(5);
    expect(new Set(runs.map((run) => run.name)).size).toBe(4);
  });

  it.each(ALL_RUN_ORDERS)('round-trips a cursor of $field $direction', (order) => {
    for (const run of runs) {
      const { field, direction, value, id } = decodeRunCursor(order, encodeRunCursor(order, run));
      expect({ field, direction, id }).toEqual({ ...order, id: run.id });
      expect(value).toEqual(
        order.field === 'CREATED_AT'
          ? run.createdAt.toISOString()
          : order.field === 'NAME'
            ? run.name
            : run.bestTestAccuracy,
      );
    }
  });

  it.each(ALL_RUN_ORDERS)(
    'reads a page by $field $direction with the cursor as parameters, never as SQL text',
    (order) => {
      const hostile: RunSortKey = {
        id: "run-1' OR '1'='1",
        name: 'x\'); DROP TABLE "Run"; --',
        createdAt: new Date(Date.UTC(2026, 0, 1)),
        bestTestAccuracy: 0.1 + 0.2,
      };
      const query = (run: RunSortKey) =>
        runPageQuery(
          Prisma.sql`"modelId" = ${'model-1'}`,
          order,
          decodeRunCursor(order, encodeRunCursor(order, run)),
          5,
        );
      const hostileQuery = query(hostile);
      expect(hostileQuery.sql).toBe(query(runs[1]!).sql);
      expect(hostileQuery.values).toContain(hostile.id);
      expect(hostileQuery.values).toContain('model-1');
      expect(hostileQuery.sql).not.toContain('model-1');
    },
  );

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
