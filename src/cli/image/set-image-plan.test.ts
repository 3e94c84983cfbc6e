import { describe, expect, it } from 'vitest';
import { sourceTrailers } from '../../delivery/dora/trailers.ts';
import { renderTemplate } from '../../delivery/gitwrite/index.ts';
import {
  DEFAULT_MESSAGE,
  messageData,
  planTarget,
  parseImageFlag,
  sourceCommitTimeArg,
  type SetImageFlags,
} from './set-image-plan.ts';

const D = `sha256:${'a'.repeat(64)}`;
const base: SetImageFlags = { repo: 'file:///srv/deploy.git', branch: 'main', image: [] };

describe('planTarget', () => {
  it('reads a Kustomization target with named and unnamed images', () => {
    expect(
      planTarget({ ...base, path: 'envs/dev', image: ['web=localhost:5000/web:v2', 'api:v3'] }),
    ).toEqual({
      kind: 'kustomize',
      path: 'envs/dev',
      images: [
        { name: 'web', ref: { name: 'localhost:5000/web', tag: 'v2' } },
        { name: 'api', ref: { name: 'api', tag: 'v3' } },
      ],
    });
  });

  it("reads a values target: --image's tag into --key, its digest into --digest-key", () => {
    expect(
      planTarget({
        ...base,
        valuesFile: 'values.yaml',
        key: 'image.tag',
        digestKey: 'image.digest',
        image: [`localhost:5000/web:1.4.0@${D}`],
      }),
    ).toMatchObject({
      kind: 'values',
      file: 'values.yaml',
      values: [
        { key: 'image.tag', value: '1.4.0' },
        { key: 'image.digest', value: D },
      ],
    });
    expect(
      planTarget({ ...base, valuesFile: 'v.yaml', key: 'replicas', value: '3' }),
    ).toMatchObject({
      values: [{ key: 'replicas', value: '3' }],
    });
  });

  const bad: Array<[string, Partial<SetImageFlags>, RegExp]> = [
    ['no target', {}, /--path DIR .* or --values-file/],
    ['both targets', { path: 'x', valuesFile: 'y' }, /not both/],
    ['no image for --path', { path: 'x' }, /at least one --image/],
    ['--key with --path', { path: 'x', image: ['a:1'], key: 'k' }, /go with --values-file/],
    ['no key', { valuesFile: 'v.yaml', image: ['a:1'] }, /needs --key/],
    ['no value', { valuesFile: 'v.yaml', key: 'k' }, /needs --value/],
    [
      'digest key without digest',
      { valuesFile: 'v', key: 'k', digestKey: 'd', image: ['a:1'] },
      /@sha256/,
    ],
    ['a bad reference', { path: 'x', image: ['web=Web:1'] }, /image "Web:1"/],
  ];
  it.each(bad)('refuses %s (exit 2)', (_what, flags, message) => {
    expect(() => planTarget({ ...base, ...flags })).toThrow(message);
    try {
      planTarget({ ...base, ...flags });
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it('refuses an empty name before =', () => {
    expect(() => parseImageFlag('=web:1')).toThrow(/name before = is empty/);
  });
});

describe('the default commit message', () => {
  it('names the target, the images, the source commit and its time, the run and each change', () => {
    const flags = {
      ...base,
      path: 'envs/dev',
      image: ['web=localhost:5000/web:3f2a9c1'],
      sourceCommit: '3f2a9c1b7d',
      sourceCommitTime: '2026-12-01T09:40:00Z',
      run: 'ci-x7k2p',
    };
    const data = messageData(flags, planTarget(flags), {
      files: [
        {
          file: 'envs/dev/kustomization.yaml',
          changes: [{ path: 'images[name=web].newTag', oldValue: '1.0.0', newValue: '3f2a9c1' }],
        },
      ],
    });
    expect(renderTemplate(DEFAULT_MESSAGE, data).trim()).toBe(
      [
        'set-image: envs/dev -> localhost:5000/web:3f2a9c1',
        '',
        'Source commit: 3f2a9c1b7d',
        'Source commit time: 2026-12-01T09:40:00Z',
        'Run: ci-x7k2p',
        '',
        'envs/dev/kustomization.yaml: images[name=web].newTag: 1.0.0 -> 3f2a9c1',
      ].join('\n'),
    );
    // What DORA and promotions read back from it.
    expect(sourceTrailers(renderTemplate(DEFAULT_MESSAGE, data))).toEqual({
      commit: '3f2a9c1b7d',
      time: '2026-12-01T09:40:00Z',
    });
  });

  it('leaves out what was not given', () => {
    const flags = { ...base, path: 'd', image: ['a:1', 'b:2'] };
    const text = renderTemplate(
      DEFAULT_MESSAGE,
      messageData(flags, planTarget(flags), { files: [] }),
    );
    expect(text.trim()).toBe('set-image: d -> a:1, b:2');
  });
});

describe('the source commit time', () => {
  it.each([
    ['2026-12-01T09:40:00Z', '2026-12-01T09:40:00Z'],
    ['2026-12-01T10:40:00+01:00', '2026-12-01T10:40:00+01:00'],
    ['1714557600', '2024-05-01T10:00:00Z'],
  ])('%s is %s', (value, want) => {
    expect(sourceCommitTimeArg(value)).toBe(want);
  });

  it.each(['yesterday', '2026-12-01', '2026-12-01T09:40:00', ''])('refuses %j', (value) => {
    expect(() => sourceCommitTimeArg(value)).toThrow(/RFC 3339 time with a zone/);
  });

  it('goes into the default message alone when no source commit is named', () => {
    const flags = { ...base, path: 'd', image: ['a:1'], sourceCommitTime: '2026-12-01T09:40:00Z' };
    const message = renderTemplate(
      DEFAULT_MESSAGE,
      messageData(flags, planTarget(flags), { files: [] }),
    );
    expect(message.trim()).toBe('set-image: d -> a:1\n\nSource commit time: 2026-12-01T09:40:00Z');
    expect(sourceTrailers(message)).toEqual({ time: '2026-12-01T09:40:00Z' });
  });
});
