/**
 * `sluice notification test`: a sample event (events/sample.ts) sent to every destination of a
 * Notification, through the controller's own code — templates, Secrets, signature, the delivery
 * queue with the destination's timeout and retries (unless `--no-retry`) — from the CLI, with
 * the caller's credentials. Nothing is written to the cluster.
 */
import type { Notification } from '../../api/notification.ts';
import { SluiceError } from '../../errors.ts';
import { parseDuration } from '../../gitops/duration.ts';
import type { Kube } from '../../kube/api.ts';
import { sampleEvent } from '../../delivery/events/sample.ts';
import { EVENT_TYPES, isEventType } from '../../delivery/events/types.ts';
import { templateContext } from '../../delivery/notifications/fields.ts';
import { testDeliveries } from '../../delivery/notifications/match.ts';
import {
  DeliveryQueue,
  httpTransport,
  type DeliveryOutcome,
} from '../../delivery/notifications/queue.ts';
import { buildRequest, secretRefs } from '../../delivery/notifications/requests.ts';
import { DEFAULT_TIMEOUT_MS, retryPolicy } from '../../delivery/notifications/retry.ts';
import { SecretCache } from '../../delivery/notifications/secrets.ts';
import { validate } from '../../delivery/notifications/validate.ts';
import { destinationType, type TestResult } from './render.ts';

export const TEST_EVENT_TYPES = EVENT_TYPES;

export interface TestOptions {
  event: string;
  object?: string;
  revision?: string;
  repoUrl?: string;
  retry: boolean;
}

export async function sendTest(kube: Kube, n: Notification, o: TestOptions): Promise<TestResult[]> {
  if (!isEventType(o.event)) {
    throw new SluiceError('BadFlag', `--event ${o.event} is not an event type`, { exitCode: 2 });
  }
  const { namespace, name } = n.metadata;
  // Only the controller namespace's Notifications may select others; a test is not a selection.
  const problems = validate(n, namespace);
  if (problems.length > 0) {
    throw new SluiceError(
      'InvalidSpec',
      `Notification/${namespace}/${name}: ${problems.join('; ')}`,
      {
        hint: 'fix the spec (`kubectl edit notification ' + name + ' -n ' + namespace + '`)',
      },
    );
  }
  const event = sampleEvent(o.event, {
    namespace,
    ...(o.object ? { name: o.object } : {}),
    ...(o.revision ? { revision: o.revision } : {}),
    ...(o.repoUrl ? { repoURL: o.repoUrl } : {}),
  });
  const secrets = new SecretCache(kube);
  const queue = new DeliveryQueue({ transport: httpTransport });
  const sends = testDeliveries(n, o.event).map(
    (d) =>
      new Promise<TestResult>((resolve) => {
        const dest = d.destination;
        const context = templateContext(event, {
          namespace,
          name,
          trigger: d.trigger,
          ...(n.spec.context ? { context: n.spec.context } : {}),
        });
        const done = (out: DeliveryOutcome): void =>
          resolve({
            destination: dest.name,
            type: destinationType(dest),
            template: d.template.name,
            result: out.result,
            attempts: out.attempts,
            ...(out.code !== undefined ? { code: out.code } : {}),
            ...(out.error ? { reason: out.error.reason, message: out.error.message } : {}),
          });
        queue.push({
          lane: `${dest.name}/${d.template.name}`,
          concurrency: 1,
          timeoutMs: parseDuration(dest.timeout, DEFAULT_TIMEOUT_MS),
          policy: o.retry ? retryPolicy(dest.retry) : { ...retryPolicy(dest.retry), retries: 0 },
          prepare: async () =>
            buildRequest({
              event,
              context,
              template: d.template,
              destination: dest,
              secret: await secrets.lookup(namespace, secretRefs(dest)),
            }),
          done,
        });
      }),
  );
  return Promise.all(sends);
}
