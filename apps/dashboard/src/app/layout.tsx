// The shell of every page. The API URL is read from the environment on each request (not baked into the build),
// so one production build serves any deployment.
import type { Metadata } from 'next';
import { connection } from 'next/server';
import { Nav } from '../components/nav';
import { ApiProvider } from '../lib/api-context';
import './globals.css';

export const metadata: Metadata = {
  // Each route's layout names its page: 'Compare · ResNet Lab'.
  title: { default: 'Runs · ResNet Lab', template: '%s · ResNet Lab' },
  description: 'Train, track and serve ResNet image classifiers.',
};

/** Where the API is when RESNET_LAB_API_URL is not set: the API's own default. */
const DEFAULT_API_URL = 'http://127.0.0.1:4000/graphql';

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  await connection();
  const apiUrl = process.env.RESNET_LAB_API_URL || DEFAULT_API_URL;
  return (
    <html lang="en">
      <body>
        <ApiProvider url={apiUrl}>
          <Nav apiUrl={apiUrl} />
          <main>{children}</main>
        </ApiProvider>
      </body>
    </html>
  );
}
