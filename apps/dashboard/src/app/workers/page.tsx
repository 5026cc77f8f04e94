'use client';
// Workers: the training processes on this machine and others, with what each trains; refreshed every few seconds.
import { useState } from 'react';
import { Empty, QueryView } from '../../components/states';
import { useQuery } from '../../lib/api-context';
import { WORKERS } from '../../lib/documents';
import { WorkersTable } from '../../ui/workers/workers-table';

/** Milliseconds between fetches: a worker heartbeats every few seconds. */
const REFRESH_MS = 3000;

export default function WorkersPage() {
  const [includeStopped, setIncludeStopped] = useState(false);
  const workers = useQuery(WORKERS, { includeStopped }, { pollIntervalMs: REFRESH_MS });
  return (
    <>
      <h1>Workers</h1>
      <div className="toolbar">
        <label className="checkbox">
          <input
            type="checkbox"
            name="includeStopped"
            checked={includeStopped}
            onChange={(event) => setIncludeStopped(event.target.checked)}
          />{' '}
          Show stopped and lost workers
        </label>
      </div>
      <QueryView state={workers} what="workers">
        {({ system: { workers: list } }) =>
          list.length === 0 ? (
            <Empty>
              No {includeStopped ? '' : 'online '}workers. <code>npm start</code> starts them on this machine;{' '}
              <code>npx resnet-lab-worker</code> adds one on another.
            </Empty>
          ) : (
            // Each fetch renders again, so the heartbeat ages move on with it.
            <WorkersTable workers={list} now={Date.now()} />
          )
        }
      </QueryView>
    </>
  );
}
