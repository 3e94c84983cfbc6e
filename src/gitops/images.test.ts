/** `status.summary.images`: the images of every pod template an app deploys. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { appImages, imagesOf } from './images.ts';

const pod = (containers: object[], extra: object = {}) => ({
  spec: { containers, ...extra },
});
const obj = (kind: string, spec: object): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name: 'x' },
  spec,
});

describe('imagesOf', () => {
  it.each<[string, KubeObject, string[]]>([
    ['a Pod', obj('Pod', pod([{ image: 'a:1' }]).spec), ['a:1']],
    [
      'a Deployment with init and sidecar containers',
      obj('Deployment', {
        template: pod([{ image: 'web@sha256:ab' }, { image: 'proxy:2' }], {
          initContainers: [{ image: 'migrate:3' }],
        }),
      }),
      ['web@sha256:ab', 'proxy:2', 'migrate:3'],
    ],
    ['a Rollout', obj('Rollout', { template: pod([{ image: 'r:1' }]) }), ['r:1']],
    [
      'a CronJob',
      obj('CronJob', { jobTemplate: { spec: { template: pod([{ image: 'c:1' }]) } } }),
      ['c:1'],
    ],
    ['a Service', obj('Service', { ports: [] }), []],
    ['a container without an image', obj('Pod', pod([{ name: 'x' }]).spec), []],
    ['a malformed template', obj('Deployment', { template: 'nope' }), []],
  ])('%s', (_what, o, want) => {
    expect(imagesOf(o)).toEqual(want);
  });
});

describe('appImages', () => {
  it('sorts, dedupes and caps', () => {
    const objects = [
      obj('Deployment', { template: pod([{ image: 'b:1' }, { image: 'a:1' }]) }),
      obj('Job', { template: pod([{ image: 'a:1' }]) }),
    ];
    expect(appImages(objects)).toEqual(['a:1', 'b:1']);
    expect(appImages(objects, 1)).toEqual(['a:1']);
  });
});
