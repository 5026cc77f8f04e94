'use client';
// Loads the API explorer in the browser only: GraphiQL's editor (Monaco) needs the DOM and web workers, and its
// code (about 1 MB) is fetched only by this route.
import dynamic from 'next/dynamic';
import { Loading } from '../../components/states';

export const ExplorerLoader = dynamic(() => import('./api-explorer').then((module) => module.ApiExplorer), {
  ssr: false,
  loading: () => <Loading what="the API explorer" />,
});
