// Thinning a run's series (batches, system samples) to at most maxPoints rows in SQL, the same way for every series:
// the n rows are numbered 0 to n - 1 in their order and row i is kept where floor(i * (maxPoints - 1) / (n - 1))
// first takes a value, so each of the maxPoints values keeps one row, the first and last rows included.
import { badUserInput } from '../errors.js';
import { Prisma } from '../generated/prisma/client.js';

/** Refuses a maxPoints outside 1 to `limit` with BAD_USER_INPUT on the field. */
export function checkMaxPoints(maxPoints: number, limit: number): void {
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > limit) {
    throw badUserInput('maxPoints', `Expected maxPoints to be from 1 to ${limit}, got ${maxPoints}.`, maxPoints);
  }
}

/**
 * The WHERE condition that keeps the evenly spaced rows of a subquery that numbers its rows 0 to n - 1 as "index"
 * and counts them as "count".
 */
export function evenlySpaced(maxPoints: number): Prisma.Sql {
  const intervals = maxPoints - 1;
  return Prisma.sql`"count" <= ${maxPoints}
        OR "index" = 0
        OR "index" * ${intervals} / NULLIF("count" - 1, 0) > ("index" - 1) * ${intervals} / NULLIF("count" - 1, 0)`;
}
