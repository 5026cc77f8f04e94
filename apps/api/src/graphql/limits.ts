// Validation rules that refuse queries too deep or too large before they run: a nested query such as
// runs → model → runs → model ... would otherwise make the server do unbounded work.
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export const MAX_QUERY_DEPTH = 12;
/** Field selections in one operation, fragments expanded. */
export const MAX_QUERY_FIELDS = 1500;

export function queryLimitRules(maxDepth = MAX_QUERY_DEPTH, maxFields = MAX_QUERY_FIELDS) {
  return [
    (context: ValidationContext): ASTVisitor => ({
      OperationDefinition(operation) {
        const fragments = new Map<string, FragmentDefinitionNode>();
        for (const definition of context.getDocument().definitions) {
          if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
        }
        const measured = measure(operation.selectionSet, fragments, 0, new Set());
        const name = operation.name?.value ?? 'anonymous';
        if (measured.depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Operation ${name} is ${measured.depth} levels deep; the limit is ${maxDepth}.`, {
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            }),
          );
        } else if (measured.fields > maxFields) {
          context.reportError(
            new GraphQLError(`Operation ${name} selects ${measured.fields} fields; the limit is ${maxFields}.`, {
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            }),
          );
        }
      },
    }),
  ];
}

function measure(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  depth: number,
  visiting: ReadonlySet<string>,
): { depth: number; fields: number } {
  let deepest = depth;
  let fields = 0;
  for (const selection of selectionSet.selections) {
    let inner: { depth: number; fields: number } | null = null;
    if (selection.kind === Kind.FIELD) {
      fields += 1;
      if (selection.selectionSet) inner = measure(selection.selectionSet, fragments, depth + 1, visiting);
      else deepest = Math.max(deepest, depth + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, fragments, depth, visiting);
    } else {
      const fragment = fragments.get(selection.name.value);
      // Unknown or cyclic fragments are reported by the standard rules.
      if (fragment && !visiting.has(fragment.name.value)) {
        inner = measure(fragment.selectionSet, fragments, depth, new Set([...visiting, fragment.name.value]));
      }
    }
    if (inner) {
      deepest = Math.max(deepest, inner.depth);
      fields += inner.fields;
    }
  }
  return { depth: deepest, fields };
}
