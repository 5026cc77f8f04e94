// The executable schema: the SDL files with their resolvers.
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { loadSchemaSource } from '../schema/load-schema.js';
import { rejectNulBytes } from './reject-nul-bytes.js';
import { requireTokenForMutations, resolvers } from './resolvers/index.js';

export async function buildSchema(): Promise<GraphQLSchema> {
  return makeExecutableSchema({
    typeDefs: await loadSchemaSource(),
    resolvers: requireTokenForMutations(rejectNulBytes(resolvers)) as Parameters<
      typeof makeExecutableSchema
    >[0]['resolvers'],
  });
}
