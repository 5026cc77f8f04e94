// Subscriptions executed once per event, not once per subscriber. graphql-js's subscribe() executes the selection
// set for every subscriber and every event; with thousands watching one run that is most of the API's work (a
// profile at 2,500 subscribers: graphql execution and the garbage it makes, about 40%). An event reaches every
// subscriber of this process as the same object (RunEvents publishes one object to all its channels), so the
// result of executing a document against it is the same for all of them: it is computed once, for the first, and
// shared with the others. Events made for one subscriber alone (the replay of finished epochs) are fresh objects,
// so nothing is shared across subscribers that should not be.
import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';

/** Per event object, per operation (document and variables): the result being or already computed. */
const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
/** The key of an operation: documents are printed once each. */
const documentKeys = new WeakMap<object, string>();

function operationKey(args: ExecutionArgs): string {
  let printed = documentKeys.get(args.document);
  if (printed === undefined) {
    printed = print(args.document);
    documentKeys.set(args.document, printed);
  }
  return `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${printed}`;
}

/** Executes the operation against one event, sharing the result with every subscriber of the same operation. */
function executeEvent(args: ExecutionArgs, event: unknown, key: string): Promise<ExecutionResult> {
  if (typeof event !== 'object' || event === null) return Promise.resolve(execute({ ...args, rootValue: event }));
  let byOperation = results.get(event);
  if (!byOperation) {
    byOperation = new Map();
    results.set(event, byOperation);
  }
  let result = byOperation.get(key);
  if (!result) {
    result = Promise.resolve(execute({ ...args, rootValue: event }));
    byOperation.set(key, result);
  }
  return result;
}

/** A drop-in for graphql-js's subscribe() (graphql-ws's `subscribe` option) that shares each event's result. */
export async function subscribeSharingResults(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const key = operationKey(args);
  const events = source[Symbol.asyncIterator]();
  // A plain iterator rather than an async generator: return() must reach the source at once (a client that
  // unsubscribes while no event comes), not wait for the next event as a suspended generator would.
  const results: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const next = await events.next();
      if (next.done) return { done: true, value: undefined };
      return { done: false, value: await executeEvent(args, next.value, key) };
    },
    async return() {
      await events.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await events.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}
