'use client';
// Datasets: what runs can train on, whether each is on disk and how to get it when not; and a form that registers a
// folder after previewing its classes, counts and images.
import { Empty, QueryView } from '../../components/states';
import { useQuery } from '../../lib/api-context';
import { DATASETS } from '../../lib/documents';
import { DatasetCard } from '../../ui/datasets/dataset-card';
import { RegisterDatasetForm } from '../../ui/datasets/register-dataset-form';

export default function DatasetsPage() {
  const datasets = useQuery(DATASETS, {});
  return (
    <>
      <h1>Datasets</h1>
      <QueryView state={datasets} what="datasets">
        {({ datasets: list, datasetRoots }) => (
          <>
            <RegisterDatasetForm roots={datasetRoots} onRegistered={datasets.refetch} />
            {list.length === 0 ? (
              <Empty>No datasets: register a folder above.</Empty>
            ) : (
              list.map((dataset) => <DatasetCard key={dataset.id} dataset={dataset} />)
            )}
          </>
        )}
      </QueryView>
    </>
  );
}
