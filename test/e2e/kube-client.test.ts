/**
 * The Kubernetes client under load, against the real API server: leader election's urgent lane
 * is answered while the shared in-flight queue is full (a big sync's thousands of requests must
 * not make the controller miss its Lease renewal and hand its work over mid-sync).
 */
import { describe, expect, it } from 'vitest';
import { Kube } from '../../src/kube/api.ts';
import { kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('client');

describe('the Kubernetes client', () => {
  it('answers an urgent request (the Lease) before the queued ones', async () => {
    // Two slots, so a few hundred reads make a long queue.
    const k = await Kube.connect(kubeconfigPath(), { maxInFlight: 2, connections: 2 });
    try {
      // Discovery first, so every read below goes straight to the queue.
      await k.list('v1', 'ConfigMap', { namespace: ns() });
      let done = 0;
      const queued = Array.from({ length: 300 }, () =>
        k.list('v1', 'ConfigMap', { namespace: ns() }).then(() => done++),
      );
      // Let the queue fill up before asking.
      await new Promise((r) => setImmediate(r));
      const lease = await k.urgentLane().get('v1', 'Namespace', undefined, ns());
      const doneWhenAnswered = done;
      const normal = await k.get('v1', 'Namespace', undefined, ns());
      const doneAfterNormal = done;
      await Promise.all(queued);
      expect(lease?.metadata.name).toBe(ns());
      expect(normal?.metadata.name).toBe(ns());
      // The urgent read did not wait for the queue; the normal one waited for all of it.
      expect(doneWhenAnswered).toBeLessThan(150);
      expect(doneAfterNormal).toBeGreaterThanOrEqual(298);
    } finally {
      await k.close();
    }
  });
});
