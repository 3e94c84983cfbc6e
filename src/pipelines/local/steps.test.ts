/**
 * A resolved step as a process (steps.ts): what cannot run locally, what is executed, and the
 * environment from env / envFrom with ConfigMap and Secret values (Secret ones kept for masking).
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedStep, ResolvedTask } from '../task/resolve.ts';
import type { Data, Sources } from './documents.ts';
import { commandOf, stepEnv, unsupported } from './steps.ts';

const step = (over: Partial<ResolvedStep> = {}): ResolvedStep => ({
  name: 's',
  container: 'step-s',
  image: 'busybox',
  script: '#!/bin/sh\ntrue',
  env: [],
  envFrom: [],
  volumeMounts: [],
  onError: 'stopAndFail',
  ...over,
});
const task = (over: Partial<ResolvedTask> = {}): ResolvedTask => ({
  params: new Map(),
  steps: [step()],
  sidecars: [],
  results: [],
  workspaces: [],
  volumes: [],
  resultsDir: '/r',
  ...over,
});

describe('unsupported', () => {
  const { script: _none, ...bare } = step();
  it.each([
    ['a plain script step', task(), undefined],
    ['a command step', task({ steps: [{ ...bare, command: ['make'] }] }), undefined],
    ['a sidecar', task({ sidecars: [step({ name: 'db' })] }), 'sidecar "db"'],
    ['Task volumes', task({ volumes: [{ name: 'v' }] }), '`volumes`'],
    ['a volumeMount', task({ steps: [step({ volumeMounts: [{ name: 'v' }] })] }), 'volumeMounts'],
    ['only args', task({ steps: [{ ...bare, args: ['x'] }] }), 'no script and no command'],
  ])('%s', (_name, t, want) => {
    const got = unsupported(t);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(want);
  });
});

describe('commandOf', () => {
  it('a script runs as its file with args as "$@"; a command with its args appended', () => {
    expect(commandOf(step({ args: ['a'] }), '/w/s')).toEqual({ file: '/w/s', args: ['a'] });
    const { script: _none, ...bare } = step();
    expect(commandOf({ ...bare, command: ['go', 'test'], args: ['./...'] }, '/w/s')).toEqual({
      file: 'go',
      args: ['test', './...'],
    });
  });
});

describe('stepEnv', () => {
  const data = (o: Record<string, string>): Data =>
    new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));
  const sources: Sources = {
    configMap: (n) => (n === 'cfg' ? data({ MODE: 'fast' }) : undefined),
    secret: (n) => (n === 'tok' ? data({ token: 's3cr3t', user: 'bot' }) : undefined),
  };

  it('this machine, then envFrom, then env (last wins); Secret values are kept for masking', () => {
    const s = step({
      envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'tok' }, prefix: 'GH_' }],
      env: [
        { name: 'MODE', value: 'slow' },
        { name: 'T', valueFrom: { secretKeyRef: { name: 'tok', key: 'token' } } },
        { name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
        { name: 'O', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
      ],
    });
    const out = stepEnv(s, sources, { PATH: '/bin', MODE: 'host' });
    expect(out.env).toEqual({
      PATH: '/bin',
      MODE: 'slow',
      GH_token: 's3cr3t',
      GH_user: 'bot',
      T: 's3cr3t',
      M: 'fast',
    });
    expect(out.secrets.sort()).toEqual(['bot', 's3cr3t', 's3cr3t']);
  });

  it.each([
    [
      { name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } },
      'env X reads Secret "gone", which is not in the files given',
    ],
    [
      { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } },
      'env X reads ConfigMap "cfg", which has no key "nope"',
    ],
    [
      { name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      'env X uses valueFrom fieldRef, which needs a pod',
    ],
  ])('refuses %j naming the step', (entry, message) => {
    expect(() => stepEnv(step({ env: [entry] }), sources, {})).toThrow(`step "s": ${message}`);
  });
});
