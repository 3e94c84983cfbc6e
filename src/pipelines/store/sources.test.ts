/** Which values of a run are secret: annotations, params, Secret-sourced env and workspaces. */
import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../api/pipeline.ts';
import type { KubeObject } from '../../kube/types.ts';
import {
  runSecrets,
  SECRET_PARAMS_ANNOTATION,
  secretParamNames,
  secretRefs,
  secretValues,
} from './sources.ts';

describe('secretParamNames', () => {
  it.each([
    [undefined, []],
    [{}, []],
    [{ [SECRET_PARAMS_ANNOTATION]: 'token' }, ['token']],
    [
      { [SECRET_PARAMS_ANNOTATION]: ' token, password ,api-key  x' },
      ['token', 'password', 'api-key', 'x'],
    ],
  ])('%j -> %j', (annotations, want) => {
    expect([...secretParamNames(annotations)]).toEqual(want);
  });
});

describe('secretRefs', () => {
  it('lists secretKeyRef env, envFrom secretRef, stepTemplate, sidecars and Secret workspaces once each', () => {
    const spec: TaskSpec = {
      stepTemplate: {
        env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'git', key: 'token' } } }],
      },
      steps: [
        {
          name: 'push',
          env: [
            { name: 'PLAIN', value: 'x' },
            { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
            { name: 'B', valueFrom: { secretKeyRef: { name: 'git', key: 'token' } } },
          ],
          envFrom: [{ secretRef: { name: 'registry' } }, { configMapRef: { name: 'cm' } }],
        },
      ],
      sidecars: [{ env: [{ name: 'C', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] }],
    };
    expect(
      secretRefs(spec, [
        { name: 'creds', secret: { secretName: 'ssh' } },
        { name: 'src', emptyDir: {} },
      ]),
    ).toEqual([
      { secretName: 'git', key: 'token' },
      { secretName: 'registry' },
      { secretName: 'db', key: 'pw' },
      { secretName: 'ssh' },
    ]);
  });
});

describe('secretValues', () => {
  const secret = (name: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
  });

  it('decodes the selected keys, reads each Secret once and skips missing ones', async () => {
    const reads: string[] = [];
    const values = await secretValues(
      [
        { secretName: 'git', key: 'token' },
        { secretName: 'git', key: 'user' },
        { secretName: 'all' },
        { secretName: 'gone' },
      ],
      (name) => {
        reads.push(name);
        const found: Record<string, KubeObject> = {
          git: secret('git', { token: 'ghp_123', user: 'bot', other: 'no' }),
          all: secret('all', { a: 'one', b: 'two' }),
        };
        return Promise.resolve(found[name]);
      },
    );
    expect(values).toEqual(['ghp_123', 'bot', 'one', 'two']);
    expect(reads).toEqual(['git', 'all', 'gone']);
  });
});

describe('runSecrets', () => {
  it('masks values of params any object marks secret, and Secret-sourced values', () => {
    const secrets = runSecrets({
      annotations: [
        { [SECRET_PARAMS_ANNOTATION]: 'token' },
        undefined,
        { [SECRET_PARAMS_ANNOTATION]: 'keys' },
      ],
      params: [
        { name: 'token', value: 'tok-123' },
        { name: 'keys', value: ['k-1', 'k-2'] },
        { name: 'repo', value: 'https://git/x' },
      ],
      values: ['env-secret'],
    });
    expect(secrets.mask('tok-123 k-2 env-secret https://git/x')).toBe('*** *** *** https://git/x');
    expect([...secrets.paramNames]).toEqual(['token', 'keys']);
  });
});
