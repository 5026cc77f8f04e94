// Metrics downloads over plain HTTP, beside GraphQL and the checkpoint downloads: a run's epochs
// (GET /runs/<id>/metrics.csv|json), its stored batches (/runs/<id>/batch-metrics.csv|json) and the epochs of
// compared runs (/compare/metrics.csv|json?ids=a,b,c), as RFC 4180 CSV or JSON, numbers at full precision.
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import { sendJson } from '../artifacts/checkpoint-download.js';
import type {
  ExportedBatchMetric,
  ExportedEpochMetric,
  MetricsExportService,
  RunMetrics,
} from '../services/metrics-export-service.js';
import { formatCsv, type CsvValue } from './format-csv.js';

export const METRICS_FORMATS = ['csv', 'json'] as const;
export type MetricsFormat = (typeof METRICS_FORMATS)[number];

/** What a metrics download path asks for. */
export type MetricsDownload =
  | { readonly kind: 'run' | 'batches'; readonly runId: string; readonly format: MetricsFormat }
  | { readonly kind: 'compare'; readonly format: MetricsFormat };

/** Columns of the epoch exports, in order: Run.metrics's fields. */
export const EPOCH_COLUMNS = [
  'epoch',
  'trainLoss',
  'trainAccuracy',
  'testLoss',
  'testAccuracy',
  'learningRate',
  'durationSeconds',
  'imagesPerSecond',
] as const satisfies readonly (keyof ExportedEpochMetric)[];

/** Columns of the batch exports, in order: Run.batchMetrics's fields. */
export const BATCH_COLUMNS = [
  'step',
  'epoch',
  'batch',
  'loss',
  'accuracy',
  'learningRate',
] as const satisfies readonly (keyof ExportedBatchMetric)[];

const FILES: Readonly<Record<'run' | 'batches', string>> = { run: 'metrics', batches: 'batch-metrics' };
const CONTENT_TYPES: Readonly<Record<MetricsFormat, string>> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/json; charset=utf-8',
};
/** HTTP statuses of the coded errors a metrics export can give. */
const STATUSES: Readonly<Record<string, number>> = { BAD_USER_INPUT: 400, NOT_FOUND: 404 };

/** `/runs/<id>/metrics.<format>`, the id percent-encoded. */
export function runMetricsPath(id: string, format: MetricsFormat): string {
  return `/runs/${encodeURIComponent(id)}/${FILES.run}.${format}`;
}

/** `/runs/<id>/batch-metrics.<format>`, the id percent-encoded. */
export function runBatchMetricsPath(id: string, format: MetricsFormat): string {
  return `/runs/${encodeURIComponent(id)}/${FILES.batches}.${format}`;
}

/** `/compare/metrics.<format>?ids=a,b,c`, each id percent-encoded (so an id's own commas stay in it). */
export function compareMetricsPath(ids: readonly string[], format: MetricsFormat): string {
  return `/compare/metrics.${format}?ids=${ids.map(encodeURIComponent).join(',')}`;
}

/** What a path made by one of the functions above asks for, or null when it is not one. */
export function parseMetricsDownloadPath(pathname: string): MetricsDownload | null {
  const compare = /^\/compare\/metrics\.(csv|json)$/.exec(pathname);
  if (compare) return { kind: 'compare', format: compare[1] as MetricsFormat };
  const run = /^\/runs\/([^/]+)\/(metrics|batch-metrics)\.(csv|json)$/.exec(pathname);
  if (!run) return null;
  let runId: string;
  try {
    runId = decodeURIComponent(run[1]!);
  } catch (error) {
    // A malformed %-escape: no id of ours, so not a download path.
    if (error instanceof URIError) return null;
    throw error;
  }
  return { kind: run[2] === FILES.run ? 'run' : 'batches', runId, format: run[3] as MetricsFormat };
}

/**
 * The ids of a compare download's query: `ids` holds them separated by commas, each percent-encoded, as
 * compareMetricsPath writes them (the query's own decoding would turn an id's %2C into a separator).
 */
export function parseCompareIds(search: string): string[] {
  const ids: string[] = [];
  for (const pair of search.replace(/^\?/, '').split('&')) {
    const [name, value = ''] = pair.split('=', 2) as [string, string?];
    if (name !== 'ids') continue;
    for (const id of value.split(',')) ids.push(decodeQueryComponent(id));
  }
  return ids;
}

/**
 * Answers a metrics download: 200 with the file, or a JSON error `{ error, code }` (with `field` for input errors):
 * 404 NOT_FOUND for an unknown run, 400 BAD_USER_INPUT for a compare without 1 to 20 ids.
 */
export async function sendMetricsDownload(
  response: http.ServerResponse,
  download: MetricsDownload,
  search: string,
  exporter: MetricsExportService,
): Promise<void> {
  try {
    switch (download.kind) {
      case 'run': {
        const run = await exporter.run(download.runId);
        if (!run) return sendNoRun(response, download.runId);
        const name = `run-${fileNamePart(run.id)}-metrics.${download.format}`;
        return download.format === 'csv'
          ? sendFile(response, name, download.format, formatCsv(EPOCH_COLUMNS, epochRows(run)))
          : sendFile(response, name, download.format, JSON.stringify(epochJson(run)));
      }
      case 'batches': {
        const run = await exporter.runBatches(download.runId);
        if (!run) return sendNoRun(response, download.runId);
        const name = `run-${fileNamePart(run.id)}-batch-metrics.${download.format}`;
        const rows = run.batchMetrics.map((metric) => BATCH_COLUMNS.map((column): CsvValue => metric[column]));
        return download.format === 'csv'
          ? sendFile(response, name, download.format, formatCsv(BATCH_COLUMNS, rows))
          : sendFile(
              response,
              name,
              download.format,
              JSON.stringify({ id: run.id, name: run.name, batchMetrics: run.batchMetrics.map(pick(BATCH_COLUMNS)) }),
            );
      }
      case 'compare': {
        const runs = await exporter.compare(parseCompareIds(search));
        const name = `compare-${runs.length}-runs-metrics.${download.format}`;
        return download.format === 'csv'
          ? sendFile(
              response,
              name,
              download.format,
              formatCsv(
                ['runId', 'runName', ...EPOCH_COLUMNS],
                runs.flatMap((run) => epochRows(run).map((row) => [run.id, run.name, ...row])),
              ),
            )
          : sendFile(response, name, download.format, JSON.stringify({ runs: runs.map(epochJson) }));
      }
    }
  } catch (error) {
    const code = error instanceof GraphQLError ? error.extensions.code : undefined;
    const status = typeof code === 'string' ? STATUSES[code] : undefined;
    if (status === undefined) throw error;
    const field = (error as GraphQLError).extensions.field;
    return sendJson(response, status, { error: (error as GraphQLError).message, code, ...(field ? { field } : {}) });
  }
}

/** The run as GraphQL's `run { id name metrics { ... } }` answers it, fields in EPOCH_COLUMNS's order. */
function epochJson(run: RunMetrics): RunMetrics {
  return { id: run.id, name: run.name, metrics: run.metrics.map(pick(EPOCH_COLUMNS)) };
}

/** A copy of an object with only `columns`, in their order. */
function pick<Row, Column extends keyof Row>(columns: readonly Column[]): (row: Row) => Pick<Row, Column> {
  return (row) => Object.fromEntries(columns.map((column) => [column, row[column]])) as Pick<Row, Column>;
}

function epochRows(run: RunMetrics): CsvValue[][] {
  return run.metrics.map((metric) => EPOCH_COLUMNS.map((column): CsvValue => metric[column]));
}

function sendNoRun(response: http.ServerResponse, id: string): void {
  sendJson(response, 404, { error: `No run with id '${id}'.`, code: 'NOT_FOUND' });
}

function sendFile(response: http.ServerResponse, fileName: string, format: MetricsFormat, body: string): void {
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[format],
    'content-disposition': `attachment; filename="${fileName}"`,
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

/** Letters, digits, '.', '_' and '-' kept, anything else made '_', as checkpoint file names do. */
function fileNamePart(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** A query component's text: '+' is a space, %-escapes decoded; a malformed escape is kept as written. */
function decodeQueryComponent(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch (error) {
    if (error instanceof URIError) return spaced;
    throw error;
  }
}
