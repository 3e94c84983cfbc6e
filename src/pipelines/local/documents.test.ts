/**
 * From `-f FILE` documents to the run (documents.ts): which run is picked or made, the `-p`
 * overrides by declared type, the apiVersions accepted, ConfigMap and Secret data decoded.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline, PipelineRun, PipelineSpec } from '../../api/pipeline.ts';
import type { KubeObject } from '../../kube/types.ts';
import { pickRun, readDocuments, sourcesOf, withParams } from './documents.ts';

const API = 'sluice.dev/v1alpha1';
const spec: PipelineSpec = {
  params: [{ name: 'v' }, { name: 'list', type: 'array' }, { name: 'repo', type: 'object' }],
  workspaces: [{ name: 'src' }, { name: 'cache', optional: true }],
  tasks: [{ name: 't', taskRef: { name: 'x' } }],
};
const pipeline = (name: string): Pipeline => ({
  apiVersion: API,
  kind: 'Pipeline',
  metadata: { name, namespace: 'team' },
  spec,
});
const run = (name: string, extra: Partial<PipelineRun['metadata']> = {}): PipelineRun => ({
  apiVersion: API,
  kind: 'PipelineRun',
  metadata: { name, namespace: 'team', ...extra },
  spec: { pipelineRef: { name: 'ci' } },
  status: { conditions: [{ type: 'Succeeded', status: 'True' }] },
});

describe('pickRun', () => {
  const cases: Array<[string, KubeObject[], string | undefined, RegExp | string]> = [
    ['the one PipelineRun', [pipeline('ci'), run('r1')], undefined, 'r1'],
    ['the one named', [run('r1'), run('r2')], 'r2', 'r2'],
    ['several, none named', [run('r1'), run('r2')], undefined, /AmbiguousRun/],
    ['a name that is not there', [run('r1')], 'r9', /RunNotFound/],
    ['one Pipeline, no run: a run of it', [pipeline('ci')], undefined, /^ci-run-[0-9a-f]{5}$/],
    ['two Pipelines, no run', [pipeline('a'), pipeline('b')], undefined, /NoPipeline/],
    ['nothing', [], undefined, /NoPipeline/],
  ];
  it.each(cases)('%s', (_name, docs, which, want) => {
    const pick = () => pickRun(readDocuments(docs), which).metadata.name;
    if (want instanceof RegExp && /^[A-Z]/.test(want.source)) {
      expect(pick).toThrow(expect.objectContaining({ code: want.source }) as Error);
    } else {
      expect(pick()).toMatch(want);
    }
  });

  it('a picked run starts fresh: its old status dropped, a uid given', () => {
    const r = pickRun(readDocuments([run('r1')]), undefined);
    expect(r.status).toBeUndefined();
    expect(r.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a run made for a Pipeline binds each workspace it needs to one shared directory', () => {
    const r = pickRun(readDocuments([pipeline('ci')]), undefined);
    expect(r.metadata.namespace).toBe('team');
    expect(r.spec).toEqual({
      pipelineRef: { name: 'ci' },
      workspaces: [{ name: 'src', volumeClaimTemplate: {} }],
    });
  });
});

describe('withParams', () => {
  const base = run('r1');
  it.each([
    ['v', 'x', 'x'],
    ['list', 'a,b,c', ['a', 'b', 'c']],
    ['list', '', []],
    ['repo', 'url:https://h/r,revision:main', { url: 'https://h/r', revision: 'main' }],
  ])('-p %s=%s', (name, text, value) => {
    const r = withParams(base, spec, { [name]: text }, 'PipelineRun/team/r1');
    expect(r.spec.params).toEqual([{ name, value }]);
  });

  it('replaces a value the run gives', () => {
    const given = { ...base, spec: { ...base.spec, params: [{ name: 'v', value: 'old' }] } };
    expect(withParams(given, spec, { v: 'new' }, 'o').spec.params).toEqual([
      { name: 'v', value: 'new' },
    ]);
  });

  it('refuses a param the Pipeline does not declare, and an object that is not key:value', () => {
    expect(() => withParams(base, spec, { nope: '1' }, 'PipelineRun/team/r1')).toThrow(
      'PipelineRun/team/r1: the Pipeline declares no param "nope"',
    );
    expect(() => withParams(base, spec, { repo: 'just-text' }, 'o')).toThrow(
      expect.objectContaining({ code: 'InvalidParamValue' }) as Error,
    );
  });
});

describe('readDocuments', () => {
  it('takes Tekton v1 as it is and refuses v1beta1, naming the object', () => {
    const tekton = { ...pipeline('ci'), apiVersion: 'tekton.dev/v1' };
    expect(readDocuments([tekton]).pipelines).toHaveLength(1);
    expect(() => readDocuments([{ ...tekton, apiVersion: 'tekton.dev/v1beta1' }])).toThrow(
      'Pipeline/ci: apiVersion tekton.dev/v1beta1 is not supported',
    );
  });

  it('decodes Secret data (base64) and stringData, ConfigMap data; other kinds are listed as ignored', () => {
    const d = readDocuments([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's' },
        data: { a: 'aGk=' },
        stringData: { b: 'yo' },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'other' },
        data: { k: 'v' },
      },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } },
    ]);
    const src = sourcesOf(d, 'team');
    expect(src.secret('s')?.get('a')?.toString()).toBe('hi');
    expect(src.secret('s')?.get('b')?.toString()).toBe('yo');
    expect(src.configMap('c')?.get('k')?.toString()).toBe('v');
    expect(src.configMap('nope')).toBeUndefined();
    expect(d.ignored).toEqual(['Deployment/d']);
  });
});
