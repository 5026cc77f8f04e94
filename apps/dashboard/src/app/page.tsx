'use client';
// Runs: every run with live status and progress, searched, filtered, sorted and paged; select runs to compare. The
// whole view lives in the URL's query string (lib/run-list-query.ts): a reload, a shared link or Back shows it again.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { Suspense, useState } from 'react';
import { RunProgress, StatusBadge } from '../components/run-status';
import { Empty, Loading, QueryView } from '../components/states';
import { useQuery, useSubscription } from '../lib/api-context';
import type { RunOrderField, RunStatus } from '../generated/graphql';
import { RUN_STATUSES, RUN_UPDATED, RUNS } from '../lib/documents';
import { dateTime, duration, fixed, percent } from '../lib/format';
import {
  changeRunListQuery,
  isFiltered,
  nextRunPage,
  previousRunPage,
  runListVariables,
  sortRunsBy,
  type RunListQuery,
} from '../lib/run-list-query';
import { useRunListQuery } from '../lib/use-run-list-query';
import { RunSearch } from '../ui/runs/run-search';
import { ShowArchivedToggle } from '../ui/runs/show-archived-toggle';
import { TagChips } from '../ui/runs/tag-chips';

const PAGE_SIZE = 20;

// useSearchParams needs a Suspense boundary, so that the page's static shell renders without the query string.
export default function RunsPage() {
  return (
    <Suspense fallback={<Loading what="runs" />}>
      <RunsList />
    </Suspense>
  );
}

function RunsList() {
  const router = useRouter();
  const [query, show] = useRunListQuery();
  const change = (changes: Partial<Omit<RunListQuery, 'after'>>) => show(changeRunListQuery(query, changes));
  const [selected, setSelected] = useState<string[]>([]);
  const runs = useQuery(RUNS, runListVariables(query, PAGE_SIZE));

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

  const sortBy = (field: RunOrderField) => show(sortRunsBy(query, field));
  const { sort } = query;
  const arrow = (field: RunOrderField) => (sort.field === field ? (sort.direction === 'DESC' ? ' ↓' : ' ↑') : '');
  const filterByTag = (tag: string) => {
    if (!query.tags.includes(tag)) change({ tags: [...query.tags, tag] });
  };

  return (
    <>
      <h1>Runs</h1>
      <div className="toolbar">
        <RunSearch
          search={query.search}
          tags={query.tags}
          suggestions={runs.data?.runTags ?? []}
          onSearch={(search) => change({ search })}
          onTags={(tags) => change({ tags })}
        />
      </div>
      <div className="toolbar">
        <label>
          Status
          <select
            value={query.status ?? ''}
            onChange={(event) => change({ status: (event.target.value || null) as RunStatus | null })}
          >
            <option value="">any</option>
            {RUN_STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <label>
          Model
          <select value={query.modelId ?? ''} onChange={(event) => change({ modelId: event.target.value || null })}>
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
          <select value={query.datasetId ?? ''} onChange={(event) => change({ datasetId: event.target.value || null })}>
            <option value="">any</option>
            {runs.data?.datasets.map((dataset) => (
              <option key={dataset.id} value={dataset.id}>
                {dataset.name}
              </option>
            ))}
          </select>
        </label>
        <ShowArchivedToggle archived={query.archived} onChange={(archived) => change({ archived })} />
        <button disabled={selected.length < 2} onClick={() => router.push(`/compare?ids=${selected.join(',')}`)}>
          Compare {selected.length > 0 ? `(${selected.length})` : ''}
        </button>
        <Link href="/runs/new" className="button primary">
          New run
        </Link>
      </div>
      <QueryView state={runs} what="runs">
        {(data) =>
          data.runs.totalCount === 0 ? (
            <Empty>
              No runs {isFiltered(query) ? 'match these filters' : 'yet'}. <Link href="/runs/new">Start one</Link>.
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
                        <Link href={`/runs/${run.id}`}>{run.name}</Link>{' '}
                        <TagChips
                          tags={run.tags}
                          label={`Tags of ${run.name}`}
                          onSelect={{ action: filterByTag, label: (tag) => `Show runs tagged ${tag}` }}
                        />
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
                  {data.runs.totalCount} run{data.runs.totalCount === 1 ? '' : 's'}, page {query.after.length + 1}
                </span>
                <button disabled={query.after.length === 0} onClick={() => show(previousRunPage(query))}>
                  Previous
                </button>
                <button
                  disabled={!data.runs.pageInfo.hasNextPage || !data.runs.pageInfo.endCursor}
                  onClick={() => {
                    const { endCursor } = data.runs.pageInfo;
                    if (endCursor) show(nextRunPage(query, endCursor));
                  }}
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
