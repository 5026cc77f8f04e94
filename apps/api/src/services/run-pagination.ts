// Keyset pagination of the `runs` connection. A cursor holds the sort value and id of the last run of a page; the
// next page is the runs beyond that pair in the sort order, found with a `where` condition and a LIMIT, so a page
// costs the same however deep it is. (Prisma's own `cursor` re-reads the cursor row and, on a nullable sort column,
// fetches every remaining row: prisma/orm#15710.) The sort always ends with the id, so runs whose sort values tie
// are never skipped or repeated.
import { badUserInput } from '../errors.js';
import type { Prisma, Run } from '../generated/prisma/client.js';

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

export function runOrderBy(order: RunOrder): Prisma.RunOrderByWithRelationInput[] {
  const direction = order.direction === 'ASC' ? 'asc' : 'desc';
  switch (order.field) {
    case 'CREATED_AT':
      return [{ createdAt: direction }, { id: direction }];
    case 'BEST_TEST_ACCURACY':
      // Runs without an accuracy yet come last either way: a leaderboard starts with its best or worst scores.
      return [{ bestTestAccuracy: { sort: direction, nulls: 'last' } }, { id: direction }];
    case 'NAME':
      return [{ name: direction }, { id: direction }];
  }
}

/** The runs that come after the cursor in its order (runOrderBy's), as a condition. */
export function runsAfter(cursor: RunCursor): Prisma.RunWhereInput {
  const beyond = <T>(value: T): { gt: T } | { lt: T } => (cursor.direction === 'ASC' ? { gt: value } : { lt: value });
  const idBeyond = { id: beyond(cursor.id) };
  switch (cursor.field) {
    case 'CREATED_AT': {
      const createdAt = new Date(cursor.value as string);
      return { OR: [{ createdAt: beyond(createdAt) }, { createdAt, ...idBeyond }] };
    }
    case 'NAME': {
      const name = cursor.value as string;
      return { OR: [{ name: beyond(name) }, { name, ...idBeyond }] };
    }
    case 'BEST_TEST_ACCURACY': {
      // Nulls last: after a run with an accuracy come the rest of the scored runs, then every unscored one; after
      // an unscored run, only unscored ones.
      if (cursor.value === null) return { bestTestAccuracy: null, ...idBeyond };
      const accuracy = cursor.value as number;
      return {
        OR: [
          { bestTestAccuracy: beyond(accuracy) },
          { bestTestAccuracy: accuracy, ...idBeyond },
          { bestTestAccuracy: null },
        ],
      };
    }
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
