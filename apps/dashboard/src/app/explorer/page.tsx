// The API explorer: GraphiQL for the API this dashboard talks to. A browser that opens the API's URL is sent here.
import type { Metadata } from 'next';
import { ExplorerLoader } from '../../ui/explorer/explorer-loader';

export const metadata: Metadata = { title: 'API explorer' };

export default function ExplorerPage() {
  return (
    <>
      <h1>API explorer</h1>
      <ExplorerLoader />
    </>
  );
}
