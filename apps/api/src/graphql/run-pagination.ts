// Cursors and sort orders of the `runs` connection. A cursor is the opaque, base64url-encoded id of the last run of
// a page; the sort always ends with the id, so pages never skip or repeat runs whose sort values tie.
import { badUserInput } from '../errors.js';
import type { RunOrder } from '../generated/graphql.js';
import type { Prisma } from '../generated/prisma/client.js';

const CURSOR_PREFIX = 'run:';

export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX))
    throw badUserInput('after', `Not a cursor of this connection: '${cursor}'.`, cursor);
  return text.slice(CURSOR_PREFIX.length);
}

export function runOrderBy(order: RunOrder | null | undefined): Prisma.RunOrderByWithRelationInput[] {
  const direction = order?.direction === 'ASC' ? 'asc' : 'desc';
  switch (order?.field ?? 'CREATED_AT') {
    case 'CREATED_AT':
      return [{ createdAt: direction }, { id: direction }];
    case 'BEST_TEST_ACCURACY':
      return [{ bestTestAccuracy: { sort: direction, nulls: 'last' } }, { id: direction }];
    case 'NAME':
      return [{ name: direction }, { id: direction }];
  }
}
