/** tkn's `-p`, `-w`, `-l` flags, typed and checked before anything is created. */
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../api/pipeline.ts';
import { SluiceError } from '../../errors.ts';
import { parseParams, parseWorkspace, unboundWorkspaces } from './flags.ts';

const DECLARED: ParamSpec[] = [
  { name: 'version' },
  { name: 'files', type: 'array', default: [] },
  { name: 'git', type: 'object', properties: { url: { type: 'string' } }, default: { url: 'x' } },
  { name: 'deploy', default: 'no' },
];

/** The usage error a call throws: its exit code and message. */
function refusal(fn: () => unknown): { exitCode: number; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SluiceError) return { exitCode: err.exitCode, message: err.message };
    throw err;
  }
  return undefined;
}

describe('parseParams', () => {
  it.each([
    ['a string', ['version=1.2.3'], [{ name: 'version', value: '1.2.3' }]],
    ['= inside the value', ['version=a=b'], [{ name: 'version', value: 'a=b' }]],
    ['an empty value', ['version='], [{ name: 'version', value: '' }]],
    [
      'an array splits on commas',
      ['version=1', 'files=a.txt,b.txt'],
      [
        { name: 'version', value: '1' },
        { name: 'files', value: ['a.txt', 'b.txt'] },
      ],
    ],
    [
      'an object takes key:value pairs',
      ['version=1', 'git=url:https://x/y,rev:main'],
      [
        { name: 'version', value: '1' },
        { name: 'git', value: { url: 'https://x/y', rev: 'main' } },
      ],
    ],
    ['the last one wins', ['version=1', 'version=2'], [{ name: 'version', value: '2' }]],
  ])('%s', (_what, flags, want) => {
    expect(parseParams(flags, DECLARED)).toEqual(want);
  });

  it("keeps a rerun's params and changes those given", () => {
    const base = [
      { name: 'version', value: '1' },
      { name: 'deploy', value: 'yes' },
    ];
    expect(parseParams(['version=2'], DECLARED, base)).toEqual([
      { name: 'version', value: '2' },
      { name: 'deploy', value: 'yes' },
    ]);
  });

  it.each([
    [
      'an undeclared param, naming the declared ones',
      ['version=1', 'verison=2'],
      /declares no param "verison"/,
    ],
    ['a required param left out', ['deploy=yes'], /missing value for param version \(no default\)/],
    ['no =', ['version'], /-p takes name=value, got "version"/],
    ['an object without key:value', ['version=1', 'git=url'], /key:value pairs/],
  ])('refuses %s (exit 2)', (_what, flags, message) => {
    const r = refusal(() => parseParams(flags, DECLARED));
    expect(r?.exitCode).toBe(2);
    expect(r?.message).toMatch(message);
  });

  it('passes anything through when the declarations are not known', () => {
    expect(parseParams(['x=1'], undefined)).toEqual([{ name: 'x', value: '1' }]);
  });
});

describe('parseWorkspace', () => {
  const files: Record<string, string> = {
    'pvc.yaml':
      'apiVersion: v1\nkind: PersistentVolumeClaim\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n',
  };
  const read = (p: string): string => files[p] ?? '';

  it.each([
    ['emptyDir', 'name=shared,emptyDir=', { name: 'shared', emptyDir: {} }],
    [
      'a claim',
      'name=src,claimName=cache',
      { name: 'src', persistentVolumeClaim: { claimName: 'cache' } },
    ],
    ['a ConfigMap', 'name=cfg,config=settings', { name: 'cfg', configMap: { name: 'settings' } }],
    [
      'a Secret with a subPath',
      'name=creds,secret=git,subPath=ssh',
      { name: 'creds', subPath: 'ssh', secret: { secretName: 'git' } },
    ],
    [
      'a volumeClaimTemplate from a file (apiVersion and kind dropped)',
      'name=src,volumeClaimTemplateFile=pvc.yaml',
      {
        name: 'src',
        volumeClaimTemplate: {
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      },
    ],
  ])('%s', (_what, flag, want) => {
    expect(parseWorkspace(flag, read)).toEqual(want);
  });

  it.each([
    ['no name', 'emptyDir=', /name= is required/],
    ['no source', 'name=x', /exactly one of/],
    ['two sources', 'name=x,emptyDir=,claimName=c', /exactly one of/],
    ['an unknown key', 'name=x,emptydir=', /unknown key emptydir/],
  ])('refuses %s (exit 2)', (_what, flag, message) => {
    const r = refusal(() => parseWorkspace(flag, read));
    expect(r?.exitCode).toBe(2);
    expect(r?.message).toMatch(message);
  });

  it('names the declared workspaces no -w binds (optional ones may stay unbound)', () => {
    const declared = [{ name: 'src' }, { name: 'cache', optional: true }, { name: 'out' }];
    expect(unboundWorkspaces(declared, [{ name: 'src', emptyDir: {} }])).toEqual(['out']);
  });
});
