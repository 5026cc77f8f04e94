import { RouteLoading } from '../../ui/route-states/route-loading';

export default function Loading() {
  return <RouteLoading what="the comparison" />;
}
