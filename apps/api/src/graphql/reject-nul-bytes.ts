// Refuses NUL characters in the arguments of every query, mutation and subscription, before any resolver sees them:
// one check for every text argument and id, nested input fields and lists included (see ../nul-bytes.ts).
import type { Resolvers } from '../generated/graphql.js';
import { checkNoNulBytes } from '../nul-bytes.js';

type Resolve = (parent: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/** The resolvers, with each root field's arguments checked first; errors name the argument path, e.g. 'input.name'. */
export function rejectNulBytes(all: Resolvers): Resolvers {
  return {
    ...all,
    Query: wrapFields(all.Query, (resolve) => checked(resolve as Resolve)),
    Mutation: wrapFields(all.Mutation, (resolve) => checked(resolve as Resolve)),
    // A subscription's arguments reach its `subscribe`; `resolve` maps each event and gets them again.
    Subscription: wrapFields(all.Subscription, (field) => {
      const { subscribe, ...rest } = field as { subscribe: Resolve };
      return { ...rest, subscribe: checked(subscribe) };
    }),
  };
}

function wrapFields<Fields extends object>(
  fields: Fields | undefined,
  wrap: (field: unknown) => unknown,
): Fields | undefined {
  if (fields === undefined) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, wrap(field)])) as Fields;
}

function checked(resolve: Resolve): Resolve {
  return (parent, args, context, info) => {
    for (const [name, value] of Object.entries(args)) checkNoNulBytes(name, value);
    return resolve(parent, args, context, info);
  };
}
