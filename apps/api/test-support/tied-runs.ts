// Runs whose sort values tie and whose accuracies are partly missing, the six orders of the runs connection, and
// the order each should come out in: the fixtures of the pagination tests.
import type { RunOrder, RunSortKey } from '../src/services/run-pagination.js';

/** 25 runs whose sort values tie in groups of 4 to 7, 7 of them without an accuracy; ids unrelated to the rest. */
export function tiedRuns(): RunSortKey[] {
  const accuracies = [null, 0.5, 0.75, 0.9, 0.5, null, 0.75];
  return Array.from({ length: 25 }, (_, index) => ({
    id: `run-${String((index * 7) % 25).padStart(2, '0')}`,
    name: `name-${index % 4}`,
    createdAt: new Date(Date.UTC(2026, 0, 1 + (index % 5))),
    bestTestAccuracy: accuracies[index % accuracies.length]!,
  }));
}

export const ALL_RUN_ORDERS: readonly RunOrder[] = (['CREATED_AT', 'BEST_TEST_ACCURACY', 'NAME'] as const).flatMap(
  (field) => (['ASC', 'DESC'] as const).map((direction) => ({ field, direction })),
);

/** The order as the schema describes it, written out independently of runPageQuery: value, then id; nulls last. */
export function expectedRunOrder(runs: readonly RunSortKey[], order: RunOrder): string[] {
  const sign = order.direction === 'ASC' ? 1 : -1;
  const value = (run: RunSortKey) =>
    order.field === 'CREATED_AT' ? run.createdAt.getTime() : order.field === 'NAME' ? run.name : run.bestTestAccuracy;
  return [...runs]
    .sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
      } else if (x !== y) {
        return (x < y ? -1 : 1) * sign;
      }
      return (a.id < b.id ? -1 : 1) * sign;
    })
    .map((run) => run.id);
}
