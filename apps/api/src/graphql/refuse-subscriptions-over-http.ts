// Subscriptions are served over WebSocket only. Apollo would otherwise run a subscription sent over HTTP as a query
// and fail inside it (an internal error); here it is refused with a code and the way to do it right.
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';

export function refuseSubscriptionsOverHttp<Context extends object>(path: string): ApolloServerPlugin<Context> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation }) => {
          if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return Promise.resolve();
          throw new GraphQLError(
            `Subscriptions are served over WebSocket (graphql-ws protocol) at ws://<host>${path}, not over HTTP.`,
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
        },
      }),
  };
}
