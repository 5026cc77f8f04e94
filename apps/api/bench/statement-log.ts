// Counts the SQL statements that each client of the server sends while something runs, from PostgreSQL's own log
// (log_statement = 'all', turned on for that window only): pg_stat_statements is not in the embedded server. Clients
// are told apart by their application_name (the benchmark gives each API process its own in DATABASE_URL).
import fs from 'node:fs/promises';
import type pg from 'pg';

/** Backends re-read the configuration when their next command arrives, after the postmaster relays the reload. */
const RELOAD_SETTLE_MS = 300;
/** The server writes its log unbuffered, but give it a moment after the last statement. */
const LOG_SETTLE_MS = 300;
const PREFIX_SEPARATOR = '|';

export interface StatementCounts {
  /** application_name -> statements it sent. */
  readonly total: ReadonlyMap<string, number>;
  /** application_name -> statement kind ('SELECT Run', 'INSERT EpochMetric', 'BEGIN', ...) -> count. */
  readonly byKind: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/**
 * Runs `action` with every statement logged to `logFile` (the server's stderr log, DATA_DIR/postgres.log of the
 * embedded server) and counts them per application. `admin` must be a superuser connection.
 */
export async function countStatements(
  admin: pg.Client,
  logFile: string,
  action: () => Promise<void>,
): Promise<StatementCounts> {
  const stop = await startStatementLog(admin, logFile);
  try {
    await action();
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return stop();
}

/** Turns statement logging on; the returned function turns it off and counts what was logged in between. */
export async function startStatementLog(admin: pg.Client, logFile: string): Promise<() => Promise<StatementCounts>> {
  const { size: start } = await fs.stat(logFile);
  await admin.query(`ALTER SYSTEM SET log_statement = 'all'`);
  await admin.query(`ALTER SYSTEM SET log_line_prefix = '%a${PREFIX_SEPARATOR}'`);
  await admin.query('SELECT pg_reload_conf()');
  await sleep(RELOAD_SETTLE_MS);
  return async () => {
    await sleep(LOG_SETTLE_MS);
    await admin.query('ALTER SYSTEM RESET log_statement');
    await admin.query('ALTER SYSTEM RESET log_line_prefix');
    await admin.query('SELECT pg_reload_conf()');
    const handle = await fs.open(logFile, 'r');
    try {
      const { size: end } = await handle.stat();
      const buffer = Buffer.alloc(end - start);
      await handle.read(buffer, 0, buffer.length, start);
      return parseStatementLog(buffer.toString('utf8'));
    } finally {
      await handle.close();
    }
  };
}

/**
 * Statements in log entries `<application>|LOG:  statement: <sql>` or `<application>|LOG:  execute <name>: <sql>`;
 * an entry goes on over the following lines that do not start a new entry (multi-line SQL).
 */
export function parseStatementLog(text: string): StatementCounts {
  const total = new Map<string, number>();
  const byKind = new Map<string, Map<string, number>>();
  const entries: { application: string; message: string }[] = [];
  for (const line of text.split('\n')) {
    const entry = /^([^|]*)\|([A-Z]+): {2}(.*)$/.exec(line);
    // DETAIL (the parameters), ERROR and the like start entries of their own, which are not statements.
    if (entry) entries.push({ application: entry[1]!, message: entry[2] === 'LOG' ? entry[3]! : '' });
    else if (entries.length > 0) entries[entries.length - 1]!.message += `\n${line}`;
  }
  for (const { application, message } of entries) {
    const sql = /^(?:statement|execute [^:]*): ([\s\S]*)$/.exec(message)?.[1];
    if (sql === undefined) continue;
    total.set(application, (total.get(application) ?? 0) + 1);
    const kinds = byKind.get(application) ?? new Map<string, number>();
    byKind.set(application, kinds);
    const kind = statementKind(sql);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return { total, byKind };
}

/** The statement's verb and the first table it names: `SELECT Run`, `UPDATE Checkpoint`, `BEGIN`. */
function statementKind(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '?';
  const table = /\b(?:FROM|INTO|UPDATE)\s+(?:"public"\.)?"?(\w+)"?/i.exec(sql)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/** `SELECT Run x2, SELECT Model x1`, most frequent first. */
export function describeKinds(kinds: ReadonlyMap<string, number> | undefined): string {
  if (!kinds || kinds.size === 0) return 'none';
  return [...kinds]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, count]) => `${kind} x${count}`)
    .join(', ');
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
