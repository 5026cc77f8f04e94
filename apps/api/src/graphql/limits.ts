// Limits that refuse costly operations before they run, from graphql-armor's validation rules (cost, depth,
// aliases, directives) and graphql-js's own token limit in the parser. Each fragment is measured once however often
// it is spread, so a document of fragments that each spread the previous one twice costs milliseconds to refuse.
// The same limits apply over HTTP (Apollo) and WebSocket (graphql-ws): see server.ts and websocket-server.ts.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';

export const QUERY_LIMITS = {
  /** Lexical tokens in one document: a 200-line query has about 1,000. */
  maxTokens: 5_000,
  /** Nested fields in one operation; fragments add no level of their own. graphql-js's introspection query has 15. */
  maxDepth: 15,
  /** Aliased fields in one operation (each alias runs its field again). */
  maxAliases: 30,
  /** Directives in one operation. */
  maxDirectives: 50,
  /**
   * graphql-armor's cost: 1 per scalar, 2 per object, times 1.5 per level of nesting, times a literal `first` (at
   * most 100). The dashboard's heaviest operation costs 209, graphql-js's introspection query 15,543 (measured by
   * limits.test.ts); a runs page of 100 with their models costs about 13,000, and nesting another list in it
   * multiplies that.
   */
  maxCost: 20_000,
} as const;

/** For graphql-js's parse(): documents over the token limit are refused while they are read. */
export const PARSE_OPTIONS: ParseOptions = { maxTokens: QUERY_LIMITS.maxTokens };

/** Validation rules to add to graphql-js's specified rules. */
export function queryLimitRules(limits = QUERY_LIMITS): ValidationRule[] {
  const common = {
    // Introspection is measured like any query: nested `__schema { types { fields { type { fields ...` is as
    // costly as anything else.
    ignoreIntrospection: false,
    flattenFragments: true,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [reportLimit],
  };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth }),
    maxAliasesRule({ ...common, n: limits.maxAliases }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives }),
    costLimitRule({ ...common, maxCost: limits.maxCost }),
  ];
}

/** graphql-armor reports "Syntax Error: Query depth limit of 12 exceeded, found 18."; the prefix misleads. */
function reportLimit(context: ValidationContext | null, error: GraphQLError): void {
  const message = error.message.replace(/^Syntax Error: /, '');
  context?.reportError(new GraphQLError(`${message} Simplify the operation or split it in several requests.`));
}
