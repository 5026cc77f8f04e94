// The resolvers of the SDL in ../../schema, one file per schema file. They translate between GraphQL and the
// services, which hold the rules and the database.
import type { ApiContext } from '../../context.js';
import { unauthenticated } from '../../errors.js';
import type { Resolvers } from '../../generated/graphql.js';
import { baseResolvers } from './base.js';
import { checkpointResolvers } from './checkpoints.js';
import { datasetResolvers } from './datasets.js';
import { modelResolvers } from './models.js';
import { runLineageResolvers } from './run-lineage.js';
import { runLogResolvers } from './run-logs.js';
import { runResolvers } from './runs.js';
import { systemResolvers } from './system.js';

export const resolvers: Resolvers = mergeResolvers([
  baseResolvers,
  checkpointResolvers,
  datasetResolvers,
  modelResolvers,
  runResolvers,
  runLineageResolvers,
  runLogResolvers,
  systemResolvers,
]);

/** The resolvers of several files as one map; a field resolved in two files is a mistake, refused at start-up. */
function mergeResolvers(parts: readonly Resolvers[]): Resolvers {
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [typeName, resolver] of Object.entries(part)) {
      const existing = merged[typeName];
      if (existing === undefined) {
        merged[typeName] = resolver;
        continue;
      }
      if (!isFieldMap(existing) || !isFieldMap(resolver)) {
        throw new Error(`Expected ${typeName} to be resolved in one file, but got it twice.`);
      }
      for (const field of Object.keys(resolver)) {
        if (field in existing) throw new Error(`Expected ${typeName}.${field} to be resolved in one file, got two.`);
      }
      merged[typeName] = { ...existing, ...resolver };
    }
  }
  return merged;
}

/** An object type's field resolvers, as opposed to a scalar's implementation. */
function isFieldMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Wraps every mutation so that it first checks the request's token (over HTTP and WebSocket alike). */
export function requireTokenForMutations(all: Resolvers): Resolvers {
  const mutations = Object.fromEntries(
    Object.entries(all.Mutation ?? {}).map(([name, resolve]) => [
      name,
      (parent: unknown, args: unknown, context: ApiContext, info: unknown) => {
        if (!context.authorized) throw unauthenticated();
        return (resolve as (...a: unknown[]) => unknown)(parent, args, context, info);
      },
    ]),
  );
  return { ...all, Mutation: mutations };
}
