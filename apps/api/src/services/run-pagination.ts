// Keyset pagination of the `runs` connection. A cursor holds the sort value and id of the last run of a page; the
// next page is the runs beyond that pair in the sort order, read as a range of the index on (sort column, id) with a
// LIMIT, so a page costs the same however deep it is. (Prisma's own `cursor` re-reads the cursor row and, on a
// nullable sort column, fetches every remaining row: prisma/orm#15710. Its `where` can only say "beyond" as an OR
// chain, which PostgreSQL applies as a filter, not a range.) The sort always ends with the id, so runs whose sort
// values tie are never skipped or repeated.
import { badUserInput } from '../errors.js';
import { Prisma, type Run } from '../generated/prisma/client.js';

export type RunOrderField = 'CREATED_AT' | 'BEST_TEST_ACCURACY' | 'NAME';
export type SortDirection = 'ASC' | 'DESC';

export interface RunOrder {
  readonly field: RunOrderField;
  readonly direction: SortDirection;
}

/** Newest first. */
export const DEFAULT_RUN_ORDER: RunOrder = { field: 'CREATED_AT', direction: 'DESC' };

/** Where a page ended, in the order it was sorted by. */
export interface RunCursor extends RunOrder {
  /** The run's sort value: createdAt as ISO-8601 text, the name, or the best test accuracy (null when it has none). */
  readonly value: string | number | null;
  readonly id: string;
}

/** The fields a cursor is made of. */
export type RunSortKey = Pick<Run, 'id' | 'createdAt' | 'name' | 'bestTestAccuracy'>;

export function encodeRunCursor(order: RunOrder, run: RunSortKey): string {
  const cursor: RunCursor = {
    field: order.field,
    direction: order.direction,
    value: sortValue(order.field, run),
    id: run.id,
  };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Reads a cursor made by encodeRunCursor for the same order; anything else is the client's error. */
export function decodeRunCursor(order: RunOrder, text: string): RunCursor {
  const malformed = () =>
    badUserInput('after', `Expected a cursor of the runs connection (a page's endCursor), got '${text}'.`, text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof parsed !== 'object' || parsed === null) throw malformed();
  const { field, direction, value, id } = parsed as Record<string, unknown>;
  if (typeof id !== 'string' || id === '' || !isSortValue(field, value)) throw malformed();
  if (field !== order.field || direction !== order.direction) {
    throw badUserInput(
      'after',
      `The cursor '${text}' is from runs sorted by ${String(field)} ${String(direction)}, not ` +
        `${order.field} ${order.direction}; start again without 'after' when the order changes.`,
      text,
    );
  }
  return { ...order, value: value as RunCursor['value'], id };
}

const ASC = Prisma.raw('ASC');
const DESC = Prisma.raw('DESC');
const GREATER = Prisma.raw('>');
const LESS = Prisma.raw('<');
const TRUE = Prisma.raw('TRUE');

const SORT_COLUMNS: Record<RunOrderField, Prisma.Sql> = {
  CREATED_AT: Prisma.raw('"createdAt"'),
  NAME: Prisma.raw('"name"'),
  BEST_TEST_ACCURACY: Prisma.raw('"bestTestAccuracy"'),
};

/**
 * The statement that reads one page: at most `limit` runs that match `matching` (a condition on "Run"), in the
 * order asked, after the cursor when there is one. Each part of it reads one range of the index on (sort column,
 * id), from the start or from the cursor: a row-value comparison, which PostgreSQL makes the start of the range.
 */
export function runPageQuery(
  matching: Prisma.Sql,
  order: RunOrder,
  cursor: RunCursor | null,
  limit: number,
): Prisma.Sql {
  const direction = order.direction === 'ASC' ? ASC : DESC;
  const beyond = order.direction === 'ASC' ? GREATER : LESS;
  const column = SORT_COLUMNS[order.field];
  const range = (condition: Prisma.Sql) => Prisma.sql`
    SELECT * FROM "Run" WHERE ${matching} AND ${condition}
    ORDER BY ${column} ${direction}, "id" ${direction} LIMIT ${limit}`;
  const afterCursor =
    cursor && cursor.value !== null
      ? Prisma.sql`(${column}, "id") ${beyond} (${sqlSortValue(cursor)}, ${cursor.id})`
      : TRUE;
  if (order.field !== 'BEST_TEST_ACCURACY') return range(afterCursor);
  // Runs without an accuracy yet come last either way: a leaderboard starts with its best or worst scores. An index
  // keeps nulls at one end, so the scored runs and the unscored ones are two ranges of it, each read in its own
  // order, then put one after the other. After an unscored run come only unscored ones, after a scored one the rest
  // of the scored ones and then every unscored one.
  if (cursor?.value === null) return range(Prisma.sql`${column} IS NULL AND "id" ${beyond} ${cursor.id}`);
  return Prisma.sql`
    SELECT * FROM (
      (${range(Prisma.sql`${column} IS NOT NULL AND ${afterCursor}`)})
      UNION ALL
      (${range(Prisma.sql`${column} IS NULL`)})
    ) AS "page"
    ORDER BY ${column} ${direction} NULLS LAST, "id" ${direction} LIMIT ${limit}`;
}

/** The cursor's sort value as a parameter of the column's type, so that the comparison can use the index. */
function sqlSortValue(cursor: RunCursor): Prisma.Sql {
  switch (cursor.field) {
    case 'CREATED_AT':
      // Prisma stores a DateTime as UTC in timestamp(3), which ignores the ISO text's 'Z': its digits are the value.
      return Prisma.sql`CAST(${cursor.value} AS timestamp(3))`;
    case 'NAME':
      return Prisma.sql`CAST(${cursor.value} AS text)`;
    case 'BEST_TEST_ACCURACY':
      // As text: Prisma rounds a number parameter to 16 significant digits, and a double can need 17 to be the
      // cursor's exact value (String gives the shortest text that parses back to it).
      return Prisma.sql`CAST(${String(cursor.value)} AS double precision)`;
  }
}

function sortValue(field: RunOrderField, run: RunSortKey): string | number | null {
  switch (field) {
    case 'CREATED_AT':
      return run.createdAt.toISOString();
    case 'NAME':
      return run.name;
    case 'BEST_TEST_ACCURACY':
      return run.bestTestAccuracy;
  }
}

function isSortValue(field: unknown, value: unknown): boolean {
  switch (field) {
    case 'CREATED_AT':
      return typeof value === 'string' && isIsoDate(value);
    case 'NAME':
      return typeof value === 'string';
    case 'BEST_TEST_ACCURACY':
      return value === null || (typeof value === 'number' && Number.isFinite(value));
    default:
      return false;
  }
}

function isIsoDate(text: string): boolean {
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text;
}
