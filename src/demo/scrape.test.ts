import { describe, expect, it } from 'vitest';
import { podTargets, promLabel, type Pod } from './scrape.ts';

const pod = (name: string, status: Pod['status'], labels: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'canary', labels },
  ...(status ? { status } : {}),
});

describe('what Prometheus scrapes', () => {
  it.each([
    ['rollouts-pod-template-hash', 'rollouts_pod_template_hash'],
    ['app.kubernetes.io/name', 'app_kubernetes_io_name'],
    ['app', 'app'],
    ['9lives', '_9lives'],
  ])('label %s is spelt %s', (name, spelt) => {
    expect(promLabel(name)).toBe(spelt);
  });

  it('each running pod with an IP, by name, its labels on its series', () => {
    const groups = podTargets(
      [
        pod('web-b', { phase: 'Running', podIP: '198.18.0.5' }, { app: 'web' }),
        pod('web-pending', { phase: 'Pending' }),
        pod(
          'web-a',
          { phase: 'Running', podIP: '198.18.0.4' },
          {
            app: 'web',
            'rollouts-pod-template-hash': 'abc',
          },
        ),
        pod('web-done', { phase: 'Succeeded', podIP: '198.18.0.6' }),
        pod('web-noip', { phase: 'Running' }),
        pod('web-new', undefined),
      ],
      8080,
    );
    expect(groups).toEqual([
      {
        targets: ['198.18.0.4:8080'],
        labels: {
          app: 'web',
          rollouts_pod_template_hash: 'abc',
          namespace: 'canary',
          pod: 'web-a',
        },
      },
      { targets: ['198.18.0.5:8080'], labels: { app: 'web', namespace: 'canary', pod: 'web-b' } },
    ]);
    expect(podTargets([], 8080)).toEqual([]);
  });
});
