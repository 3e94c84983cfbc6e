/** Wrapped steps (step `timeout`, `onError: continue`) in the pod, and what they report back. */
import { describe, expect, it } from 'vitest';
import type { ResolvedStep } from '../task/resolve.ts';
import { needsWrapper, toolsContainer, unwrappable, wrapContainer, wrappedEnd } from './wrap.ts';

const step = (over: Partial<ResolvedStep>): ResolvedStep => ({
  name: 'build',
  container: 'step-build',
  image: 'img',
  env: [],
  envFrom: [],
  volumeMounts: [],
  onError: 'stopAndFail',
  ...over,
});

describe('wrapped steps', () => {
  it('only steps with a timeout or onError: continue are wrapped', () => {
    expect(needsWrapper(step({}))).toBe(false);
    expect(needsWrapper(step({ timeoutMs: 1000 }))).toBe(true);
    expect(needsWrapper(step({ onError: 'continue' }))).toBe(true);
  });

  it("runs the step's own command and args under busybox sh, with its settings in env", () => {
    const s = step({ timeoutMs: 1500, onError: 'continue' });
    const c = wrapContainer(s, {
      name: 'step-build',
      image: 'img',
      command: ['make'],
      args: ['all'],
      env: [{ name: 'A', value: '1' }],
      volumeMounts: [{ name: 'ws', mountPath: '/workspace' }],
    });
    expect(c.command?.slice(0, 3)).toEqual(['/sluice/bin/busybox', 'sh', '-c']);
    expect(c.command?.slice(4)).toEqual(['sluice-step', 'make', 'all']);
    expect(c.args).toBeUndefined();
    expect(c.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'SLUICE_STEP', value: 'step-build' },
      { name: 'SLUICE_STEP_TIMEOUT', value: '1.5' },
      { name: 'SLUICE_ON_ERROR', value: 'continue' },
    ]);
    expect(c.volumeMounts).toContainEqual({ name: 'sluice-tools', mountPath: '/sluice/bin' });
    expect(toolsContainer('bb').command).toEqual([
      '/bin/busybox',
      'cp',
      '/bin/busybox',
      '/sluice/bin/busybox',
    ]);
  });

  it('refuses a wrapped step that only has its image entrypoint', () => {
    expect(unwrappable(step({ onError: 'continue' }))).toMatch(
      /step "build": `onError: continue` needs the step's command/,
    );
    expect(unwrappable(step({ onError: 'continue', command: ['x'] }))).toBeUndefined();
    expect(unwrappable(step({ timeoutMs: 1, script: '#!/bin/sh' }))).toBeUndefined();
    expect(unwrappable(step({}))).toBeUndefined();
  });

  it.each([
    ['sluice-step exitCode=3 timedOut=0\n', { exitCode: 3, timedOut: false }],
    ['sluice-step exitCode=143 timedOut=1\n', { exitCode: 143, timedOut: true }],
    ['something else', undefined],
    [undefined, undefined],
  ])('reads the termination message %j', (message, want) => {
    expect(wrappedEnd(message)).toEqual(want);
  });
});
