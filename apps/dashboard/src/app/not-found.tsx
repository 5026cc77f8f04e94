// The dashboard's 404: any address that is no page.
import { PageNotFound } from '../ui/route-states/page-not-found';

export default function NotFound() {
  return <PageNotFound what="There is no page at this address." back={{ href: '/', label: 'See all runs' }} />;
}
