// The dashboard's Models page (`/models`): `query Models`, every model with its per-stage table, run count, newest
// runs and registered versions, requested one at a time.
import { MODELS_QUERY } from './dashboard-documents.js';
import { postGraphQL } from './post-graphql.js';

interface ModelsData {
  readonly models: readonly {
    readonly runCount: number;
    readonly runs: readonly unknown[];
    readonly versions: readonly unknown[];
  }[];
}

export interface ModelsPageFigures {
  readonly latenciesMs: readonly number[];
  readonly models: number;
  /** Runs listed over all models (each model lists its newest 10). */
  readonly runsListed: number;
  /** Runs counted over all models (runCount). */
  readonly runsCounted: number;
  readonly responseBytes: number;
}

/** `requests` sequential requests after `warmUp` untimed ones. */
export async function benchModelsPage(
  url: string,
  options: { readonly requests: number; readonly warmUp: number },
): Promise<ModelsPageFigures> {
  for (let request = 0; request < options.warmUp; request++) await postGraphQL<ModelsData>(url, MODELS_QUERY);
  const latenciesMs: number[] = [];
  let last: ModelsData | null = null;
  for (let request = 0; request < options.requests; request++) {
    const started = performance.now();
    last = await postGraphQL<ModelsData>(url, MODELS_QUERY);
    latenciesMs.push(performance.now() - started);
  }
  return {
    latenciesMs,
    models: last?.models.length ?? 0,
    runsListed: last?.models.reduce((total, model) => total + model.runs.length, 0) ?? 0,
    runsCounted: last?.models.reduce((total, model) => total + model.runCount, 0) ?? 0,
    responseBytes: last ? JSON.stringify({ data: last }).length : 0,
  };
}
