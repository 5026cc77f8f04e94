'use client';
// Runs: every run with live status and progress, filtered, sorted and paged; select runs to compare.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { RunProgress, StatusBadge } from '../components/run-status';
import { Empty, QueryView } from '../components/states';
import { useQuery, useSubscription } from '../lib/api-context';
import type { RunOrder, RunOrderField, RunStatus } from '../generated/graphql';
import { RUN_STATUSES, RUN_UPDATED, RUNS } from '../lib/documents';
import { dateTime, duration, fixed, percent } from '../lib/format';

const PAGE_SIZE = 20;

export default function RunsPage() {
  const router = useRouter();
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [modelId, setModelId] = useState('');
  const [datasetId, setDatasetId] = useState('');
  const [sort, setSort] = useState<RunOrder>({
    field: 'CREATED_AT',
    direction: 'DESC',
  });
  // Cursors of the pages before the current one; the last is where the current page starts.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [selected, setSelected] = useState<string[]>([]);
  const filter = {
    ...(status ? { status: [status] } : {}),
    ...(modelId ? { modelId } : {}),
    ...(datasetId ? { datasetId } : {}),
  };
  const runs = useQuery(RUNS, { filter, orderBy: sort, first: PAGE_SIZE, after: cursors.at(-1) });

  // Live: update runs on this page in place; a run that is not on it (a new one) may belong, so fetch again.
  useSubscription(RUN_UPDATED, {}, ({ runUpdated }) => {
    const present = runs.data?.runs.edges.some((edge) => edge.node.id === runUpdated.id);
    if (!present) return runs.refetch();
    runs.setData(
      (previous) =>
        previous && {
          ...previous,
          runs: {
            ...previous.runs,
            edges: previous.runs.edges.map((edge) =>
              edge.node.id === runUpdated.id ? { ...edge, node: runUpdated } : edge,
            ),
          },
        },
    );
  });

  const resetPages = () => setCursors([null]);
  const sortBy = (field: RunOrderField) => {
    setSort((previous) => ({
      field,
      direction: previous.field === field && previous.direction === 'DESC' ? 'ASC' : 'DESC',
    }));
    resetPages();
  };
  const arrow = (field: RunOrderField) => (sort.field === field ? (sort.direction === 'DESC' ? ' ↓' : ' ↑') : '');

  return (
    <>
      <h1>Runs</h1>
      <div className="toolbar">
        <label>
          Status
          <select value={status} onChange={(event) => (setStatus(event.target.value as RunStatus | ''), resetPages())}>
            <option value="">any</option>
            {RUN_STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <label>
          Model
          <select value={modelId} onChange={(event) => (setModelId(event.target.value), resetPages())}>
            <option value="">any</option>
            {runs.data?.models.map((model) => (
              <option key={model.id} value={model.id}>
                {model.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Dataset
          <select value={datasetId} onChange={(event) => (setDatasetId(event.target.value), resetPages())}>
            <option value="">any</option>
            {runs.data?.datasets.map((dataset) => (
              <option key={dataset.id} value={dataset.id}>
                {dataset.name}
              </option>
            ))}
          </select>
        </label>
        <button disabled={selected.length < 2} onClick={() => router.push(`/compare?ids=${selected.join(',')}`)}>
          Compare {selected.length > 0 ? `(${selected.length})` : ''}
        </button>
        <Link href="/runs/new">
          <button className="primary">New run</button>
        </Link>
      </div>
      <QueryView state={runs} what="runs">
        {(data) =>
          data.runs.totalCount === 0 ? (
            <Empty>
              No runs {status || modelId || datasetId ? 'match these filters' : 'yet'}.{' '}
              <Link href="/runs/new">Start one</Link>.
            </Empty>
          ) : (
            <>
              <table data-testid="runs-table">
                <thead>
                  <tr>
                    <th />
                    <th>
                      <button className="sort" onClick={() => sortBy('NAME')}>
                        Name{arrow('NAME')}
                      </button>
                    </th>
                    <th>Model</th>
                    <th>Dataset</th>
                    <th>Status</th>
                    <th>Epoch</th>
                    <th className="number">
                      <button className="sort" onClick={() => sortBy('BEST_TEST_ACCURACY')}>
                        Best test acc.{arrow('BEST_TEST_ACCURACY')}
                      </button>
                    </th>
                    <th className="number">Images/s</th>
                    <th className="number">Duration</th>
                    <th>
                      <button className="sort" onClick={() => sortBy('CREATED_AT')}>
                        Started{arrow('CREATED_AT')}
                      </button>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.runs.edges.map(({ node: run }) => (
                    <tr key={run.id} data-run-id={run.id}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${run.name} to compare`}
                          checked={selected.includes(run.id)}
                          onChange={(event) =>
                            setSelected((previous) =>
                              event.target.checked ? [...previous, run.id] : previous.filter((id) => id !== run.id),
                            )
                          }
                        />
                      </td>
                      <td>
                        <Link href={`/runs/${run.id}`}>{run.name}</Link>
                      </td>
                      <td>{run.model.name}</td>
                      <td>{run.dataset.name}</td>
                      <td>
                        <StatusBadge status={run.status} />
                      </td>
                      <td>
                        <RunProgress run={run} />
                      </td>
                      <td className="number">{percent(run.bestTestAccuracy)}</td>
                      <td className="number">{fixed(run.imagesPerSecond, 1)}</td>
                      <td className="number">{duration(run.durationSeconds)}</td>
                      <td>{dateTime(run.startedAt ?? run.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="toolbar" style={{ marginTop: 12 }}>
                <span>
                  {data.runs.totalCount} run{data.runs.totalCount === 1 ? '' : 's'}, page {cursors.length}
                </span>
                <button disabled={cursors.length === 1} onClick={() => setCursors((previous) => previous.slice(0, -1))}>
                  Previous
                </button>
                <button
                  disabled={!data.runs.pageInfo.hasNextPage}
                  onClick={() => setCursors((previous) => [...previous, data.runs.pageInfo.endCursor])}
                >
                  Next
                </button>
              </div>
            </>
          )
        }
      </QueryView>
    </>
  );
}
