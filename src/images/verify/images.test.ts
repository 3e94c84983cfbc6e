import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.ts';
import { planImages } from './images.ts';

const pod = (images: { containers?: string[]; initContainers?: string[] }) => ({
  ...(images.containers
    ? { containers: images.containers.map((image, i) => ({ name: `c${i}`, image })) }
    : {}),
  ...(images.initContainers
    ? { initContainers: images.initContainers.map((image, i) => ({ name: `i${i}`, image })) }
    : {}),
});
const obj = (kind: string, spec: Record<string, unknown>, apiVersion = 'apps/v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: kind.toLowerCase(), namespace: 'shop' },
  spec,
});
const template = (p: object) => ({ template: { spec: p } });

describe('images of a revision', () => {
  it.each<[string, KubeObject, string[]]>([
    [
      'Pod',
      obj('Pod', pod({ containers: ['a:1'], initContainers: ['b:1'] }), 'v1'),
      ['a:1', 'b:1'],
    ],
    ['Deployment', obj('Deployment', template(pod({ containers: ['web:1'] }))), ['web:1']],
    ['StatefulSet', obj('StatefulSet', template(pod({ containers: ['db:1'] }))), ['db:1']],
    ['DaemonSet', obj('DaemonSet', template(pod({ initContainers: ['init:1'] }))), ['init:1']],
    ['ReplicaSet', obj('ReplicaSet', template(pod({ containers: ['rs:1'] }))), ['rs:1']],
    ['Job', obj('Job', template(pod({ containers: ['job:1'] })), 'batch/v1'), ['job:1']],
    [
      'CronJob',
      obj(
        'CronJob',
        { jobTemplate: { spec: template(pod({ containers: ['cron:1'] })) } },
        'batch/v1',
      ),
      ['cron:1'],
    ],
    [
      'Rollout',
      obj('Rollout', template(pod({ containers: ['canary:1'] })), 'sluice.dev/v1alpha1'),
      ['canary:1'],
    ],
    ['ConfigMap', obj('ConfigMap', {}, 'v1'), []],
    ['Deployment without a template', obj('Deployment', {}), []],
  ])('%s', (_kind, o, images) => {
    expect(planImages([o]).map((u) => u.image)).toEqual(images);
  });

  it('lists each image once, with every object that runs it', () => {
    const a = obj('Deployment', template(pod({ containers: ['web:1', 'web:1'] })));
    const b = { ...obj('Job', template(pod({ containers: ['web:1', 'tool:2'] })), 'batch/v1') };
    expect(planImages([a, b])).toEqual([
      { image: 'tool:2', objects: ['Job shop/job'] },
      { image: 'web:1', objects: ['Deployment shop/deployment', 'Job shop/job'] },
    ]);
  });
});
