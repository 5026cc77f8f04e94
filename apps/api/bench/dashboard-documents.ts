// The dashboard's own operations, loaded from apps/dashboard/src/lib/documents.ts when the benchmark runs rather than
// copied (a copy drifts): the runs list (`/`), the Models page (`/models`) and a run's live progress (`/runs/<id>`).
// Each is the operation followed by the fragments it spreads, as the dashboard sends it. A benchmark script may read
// the dashboard's sources; the API's own code never does.

const DOCUMENTS = new URL('../../dashboard/src/lib/documents.ts', import.meta.url);

const documents = (await import(DOCUMENTS.href)) as { RUNS: string; MODELS: string; RUN_PROGRESS: string };

export const RUNS_QUERY = documents.RUNS;
export const MODELS_QUERY = documents.MODELS;
export const RUN_PROGRESS_SUBSCRIPTION = documents.RUN_PROGRESS;
