import { getIntrospectionQuery, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARSE_OPTIONS, QUERY_LIMITS, queryLimitRules } from './limits.js';
import { buildSchema } from './schema.js';
import { fragmentBomb } from '../../test-support/fragment-bomb.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildSchema();
});

/** The messages of the errors graphql-js's rules and ours report for a document. */
function check(document: string): string[] {
  return validate(schema, parse(document, PARSE_OPTIONS), [...specifiedRules, ...queryLimitRules()]).map(
    (error) => error.message,
  );
}

describe('queryLimitRules', () => {
  it('measures each fragment once, so a 24-level fragment bomb is refused in milliseconds', () => {
    // The hand-written check this replaces took 3.3 s at 20 levels and about 58 s at 24.
    const started = performance.now();
    const errors = check(fragmentBomb(24));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Query Cost limit of 20000 exceeded, found \d+(\.\d+)?\. Simplify the operation/);
    expect(check(fragmentBomb(3))).toEqual([]);
  });

  it('refuses a list nested in a long list, counting literal page sizes', () => {
    expect(check('{ runs(first: 100) { edges { node { model { name } } } } }')).toEqual([]);
    expect(check('{ runs(first: 100) { edges { node { model { runs(first: 100) { id } } } } } }')).toEqual([
      'Query Cost limit of 20000 exceeded, found 178812.5. Simplify the operation or split it in several requests.',
    ]);
  });

  it('refuses depth, aliases and directives over the limits, however fragments hide them', () => {
    const deep = 'model { runs { '.repeat(6) + 'id' + ' } }'.repeat(6);
    expect(check(`query { ...Deep } fragment Deep on Query { runs { edges { node { ${deep} } } } }`)).toEqual([
      'Query depth limit of 15 exceeded, found 16. Simplify the operation or split it in several requests.',
    ]);
    const aliases = Array.from({ length: 31 }, (_, index) => `a${index}: system { version }`).join(' ');
    expect(check(`query { ...A } fragment A on Query { ${aliases} }`)).toEqual([
      'Aliases limit of 30 exceeded, found 31. Simplify the operation or split it in several requests.',
    ]);
    const directives = Array.from({ length: 51 }, () => 'version @include(if: true)').join(' ');
    expect(check(`query { system { ${directives} } }`)).toEqual([
      'Directives limit of 50 exceeded, found 51. Simplify the operation or split it in several requests.',
    ]);
  });

  it('stops reading a document over the token limit', () => {
    const long = `{ ${'system { version } '.repeat(QUERY_LIMITS.maxTokens / 4)} }`;
    expect(() => parse(long, PARSE_OPTIONS)).toThrow(
      // graphql-js's own wording.
      `Syntax Error: Document contains more that ${QUERY_LIMITS.maxTokens} tokens. Parsing aborted.`,
    );
  });

  it("accepts graphql-js's introspection query and every operation of the dashboard", async () => {
    expect(check(getIntrospectionQuery())).toEqual([]);
    const documents = (await import(
      new URL('../../../dashboard/src/lib/documents.ts', import.meta.url).href
    )) as Record<string, unknown>;
    const operations = Object.entries(documents).filter(
      ([, value]) => typeof value === 'string' && /^\s*(query|mutation|subscription)\b/.test(value),
    );
    expect(operations.length).toBeGreaterThanOrEqual(16);
    for (const [name, document] of operations)
      expect({ name, errors: check(document as string) }).toEqual({ name, errors: [] });
  });
});
