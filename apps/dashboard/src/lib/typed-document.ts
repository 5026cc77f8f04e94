// A GraphQL operation's text branded with its result and variables types, so that the client and hooks infer both
// from the operation alone and take no untyped string. At run time it is the plain string that goes over the wire.

declare const operationTypes: unique symbol;

export type TypedDocument<Result, Variables> = string & {
  /** Never set: it only carries the types, as @graphql-typed-document-node/core's `__apiType` does. */
  readonly [operationTypes]: (variables: Variables) => Result;
};

/**
 * The operation `source` followed by the fragments it spreads. Result and Variables come from
 * src/generated/graphql.ts (scripts/generate-graphql-types.ts), which types every operation of lib/documents.ts.
 */
export function typedDocument<Result, Variables>(
  source: string,
  ...fragments: readonly string[]
): TypedDocument<Result, Variables> {
  return [source, ...fragments].join('\n') as TypedDocument<Result, Variables>;
}
