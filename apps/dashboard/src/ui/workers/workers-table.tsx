// The training workers, one row each: where the process runs, on what device, whether it is alive, what it trains.
import Link from 'next/link';
import type { WorkersQuery } from '../../generated/graphql';
import { ago, dateTime } from '../../lib/format';

type Worker = WorkersQuery['system']['workers'][number];

/** Heartbeat ages count to `now`, milliseconds since the epoch. */
export function WorkersTable({ workers, now }: { workers: readonly Worker[]; now: number }) {
  return (
    <table data-testid="workers-table">
      <thead>
        <tr>
          <th>Host</th>
          <th className="number">PID</th>
          <th>Backend</th>
          <th>Status</th>
          <th>Last heartbeat</th>
          <th>Started</th>
          <th>Training</th>
        </tr>
      </thead>
      <tbody>
        {workers.map((worker) => (
          <tr key={worker.id} data-worker-id={worker.id}>
            <td>{worker.host}</td>
            <td className="number">{worker.pid}</td>
            <td>
              {worker.backend} ({worker.device})
            </td>
            <td>
              <span className={`status status-${worker.status.toLowerCase()}`}>{worker.status}</span>
            </td>
            <td title={dateTime(worker.lastHeartbeatAt)}>{ago(worker.lastHeartbeatAt, now)}</td>
            <td>{dateTime(worker.startedAt)}</td>
            <td>
              {worker.currentRun ? <Link href={`/runs/${worker.currentRun.id}`}>{worker.currentRun.name}</Link> : '–'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
