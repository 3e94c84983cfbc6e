/**
 * A sample event of each type (`sluice notification test NAME --event TYPE`): what a real one
 * would carry, marked `details.sample: "true"`, about an object named `sample` of the kind that
 * produces that type, unless the caller names the object, the commit and the repository.
 */
import { commitURL } from './context.ts';
import { eventId } from './event.ts';
import { EVENT_INFO, type DeliveryEvent, type EventObjectRef, type EventType } from './types.ts';

const KIND_OF: Record<EventType, string> = {
  'sync-succeeded': 'Application',
  'sync-failed': 'Application',
  'health-degraded': 'Application',
  'rollout-paused': 'Rollout',
  'rollout-aborted': 'Rollout',
  'rollout-completed': 'Rollout',
  'pipelinerun-succeeded': 'PipelineRun',
  'pipelinerun-failed': 'PipelineRun',
  'promotion-awaiting-approval': 'Promotion',
};

const MESSAGE: Record<EventType, string> = {
  'sync-succeeded': 'successfully synced (all tasks run)',
  'sync-failed': 'one or more objects failed to apply (sample)',
  'health-degraded': 'Deployment/sample: 0 of 2 replicas available (sample)',
  'rollout-paused': 'paused at step 1 (sample)',
  'rollout-aborted': 'RolloutAborted: the analysis failed (sample)',
  'rollout-completed': 'the rollout is complete',
  'pipelinerun-succeeded': 'Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 0',
  'pipelinerun-failed': 'Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 1',
  'promotion-awaiting-approval': 'prod waits for an approval (sample)',
};

export interface SampleOptions {
  namespace: string;
  name?: string;
  revision?: string;
  repoURL?: string;
  now?: Date;
}

export function sampleEvent(type: EventType, o: SampleOptions): DeliveryEvent {
  const info = EVENT_INFO[type];
  const now = (o.now ?? new Date()).toISOString();
  const object: EventObjectRef = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: KIND_OF[type],
    namespace: o.namespace,
    name: o.name ?? 'sample',
  };
  const key = `sample@${now}`;
  const revision = o.revision ?? '0123456789abcdef0123456789abcdef01234567';
  const link = commitURL(o.repoURL, revision);
  return {
    id: eventId(type, object, key),
    type,
    title: info.title,
    severity: info.severity,
    outcome: info.outcome,
    time: now,
    key,
    object,
    labels: {},
    app: { namespace: o.namespace, name: o.name ?? 'sample' },
    environment: o.namespace,
    revision,
    ...(o.repoURL ? { repoURL: o.repoURL } : {}),
    ...(link ? { commitURL: link } : {}),
    reason: info.severity === 'error' ? 'Failed' : 'Sample',
    message: MESSAGE[type],
    details: { sample: 'true' },
  };
}
