// Resolvers of base.graphql (the DateTime scalar), and the argument parsing that several schema files share.
import { GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';

const dateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date and time in UTC.',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? parseDate(ast.value) : parseDate(null)),
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw badUserInput('DateTime', `Expected an ISO-8601 date-time, got ${String(value)}.`);
  return date;
}

export const baseResolvers: Resolvers = {
  DateTime: dateTime,
};

/** The arguments of a lookup by id or by name: exactly one of them. */
export function byIdOrName(args: { id?: string | null; name?: string | null }): { id: string } | { name: string } {
  const { id, name } = args;
  if (typeof id === 'string' && typeof name !== 'string') return { id };
  if (typeof name === 'string' && typeof id !== 'string') return { name };
  throw badUserInput('id', 'Give exactly one of id and name.');
}
