/**
 * Finished TaskRun pods are kept for debugging (`kubectl logs`, `describe`), but not forever: per
 * namespace the newest `keep` finished pods stay, older ones are deleted (pure choice here; the
 * controller deletes). A pod counts as finished once it Succeeded or Failed; it is dated by the
 * last of its containers to end. The caller may hold a pod back (its logs are not saved yet).
 */
import { isTerminal, type Pod } from './pods.ts';

/** Finished pods kept per namespace unless configured otherwise. */
export const DEFAULT_KEEP_PODS = 10;

/** When the pod finished: the last container end it shows, else its creation. */
export function finishedAt(pod: Pod): string {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  const ends = statuses
    .map((s) => s.state?.terminated?.finishedAt)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  return ends.at(-1) ?? pod.metadata.creationTimestamp ?? '';
}

/**
 * The finished pods of one namespace to delete so that only the newest `keep` remain;
 * `canDelete` false holds a pod back (it still counts as one of those kept).
 */
export function podsToDelete(
  pods: readonly Pod[],
  keep: number,
  canDelete: (pod: Pod) => boolean = () => true,
): Pod[] {
  const finished = pods
    .filter((p) => isTerminal(p) && !p.metadata.deletionTimestamp)
    .sort((a, b) => finishedAt(b).localeCompare(finishedAt(a)));
  return finished.slice(Math.max(0, keep)).filter((p) => canDelete(p));
}
