// A run id that no run has (deleted, or mistyped).
import { PageNotFound } from '../../../ui/route-states/page-not-found';

export default function NotFound() {
  return (
    <PageNotFound
      what="There is no run with this id: it may have been deleted."
      back={{ href: '/', label: 'See all runs' }}
    />
  );
}
