// `resnet-lab doctor`'s findings as aligned lines for people; `--json` prints the DoctorReport itself.
import type { ApiDatabase } from '../doctor/api-database.js';
import type { DoctorReport } from '../doctor/diagnose.js';

const LABEL_WIDTH = 12;

export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`${label.padEnd(LABEL_WIDTH)}${text}`);
  for (const backend of report.backends) {
    const device = backend.loads
      ? `${backend.device ?? ''}${backend.auto ? '  <- --backend auto' : ''}`
      : backend.reason;
    row(backend.kind, `${backend.loads ? 'yes' : 'no '}  ${device ?? ''}`);
    const indent = ' '.repeat(LABEL_WIDTH + 5);
    if (backend.loads && backend.reason !== null) lines.push(`${indent}${backend.reason}`);
    if (backend.fix !== null) lines.push(`${indent}fix: ${backend.fix}`);
  }
  lines.push('');
  const { cpu, gpus } = report.machine;
  row('CPU', `${cpu.model}, ${cpu.cores} core${cpu.cores === 1 ? '' : 's'}`);
  row('GPU', gpus.names.length > 0 ? gpus.names.join(', ') : `none: ${gpus.reason ?? 'unknown'}`);
  row('Node', `${report.node.version}${versionCheck(report.node, 'engines.node')}`);
  const { npm } = report;
  row('npm', npm.version === null ? `unknown: ${npm.reason}` : `${npm.version}${versionCheck(npm, 'engines.npm')}`);
  row('database', describeDatabase(report.database));
  return `${lines.join('\n')}\n`;
}

function versionCheck(check: { required: string | null; supported: boolean | null }, field: string): string {
  if (check.required === null) return ` (package.json gives no ${field})`;
  return `, ${check.supported === true ? 'supported' : 'NOT supported'} (${field}: ${check.required})`;
}

function describeDatabase(database: ApiDatabase): string {
  if (database.kind === 'external') {
    return `DATABASE_URL ${database.url}${database.problem === null ? '' : `: the API refuses it (${database.problem})`}`;
  }
  const where = `embedded PostgreSQL in ${database.directory}`;
  if (!database.created) return `${where}: not created yet (npm start creates it)`;
  if (!database.running) return `${where}: not running (npm start starts it)`;
  const server = `running (pid ${database.pid}, port ${database.port})`;
  const { owner } = database;
  return owner === null
    ? `${where}: ${server}, its owner gone (the next npm start adopts it)`
    : `${where}: ${server}, started by ${owner.name} (pid ${owner.pid}) at ${owner.startedAt}`;
}
