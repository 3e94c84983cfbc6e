import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AnalysisTemplateSpecSchema } from '../api/analysis.ts';
import { RolloutSpecSchema } from '../api/rollout.ts';
import {
  CANARY_FILES,
  DEMO_PROMETHEUS_PORT,
  MIN_SUCCESS_RATE,
  nextVersion,
  versionOf,
  withVersion,
} from './canary-samples.ts';

const rollout = CANARY_FILES['canary/rollout.yaml'] ?? '';
const docs = (path: string): Array<Record<string, unknown>> =>
  parseAllDocuments(CANARY_FILES[path] ?? '').map((d) => d.toJS() as Record<string, unknown>);
const env = (manifest: string): unknown =>
  (
    parseAllDocuments(manifest)[0]?.toJS() as {
      spec: { template: { spec: { containers: Array<{ env: unknown }> } } };
    }
  ).spec.template.spec.containers[0]?.env;

describe('the canary sample', () => {
  it('is valid YAML: a Rollout, two NodePort Services, an AnalysisTemplate', () => {
    expect(docs('canary/rollout.yaml').map((d) => d['kind'])).toEqual(['Rollout']);
    expect(docs('canary/services.yaml').map((d) => d['kind'])).toEqual(['Service', 'Service']);
    expect(docs('canary/analysis.yaml').map((d) => d['kind'])).toEqual(['AnalysisTemplate']);
    // What the API server's CRDs accept (they are generated from these schemas).
    expect(Value.Check(RolloutSpecSchema, docs('canary/rollout.yaml')[0]?.['spec'])).toBe(true);
    const template = docs('canary/analysis.yaml')[0]?.['spec'];
    expect(Value.Check(AnalysisTemplateSpecSchema, template)).toBe(true);
    expect(CANARY_FILES['canary/analysis.yaml']).toContain(
      `address: http://127.0.0.1:${DEMO_PROMETHEUS_PORT}`,
    );
    expect(CANARY_FILES['canary/analysis.yaml']).toContain(
      `successCondition: result[0] >= ${MIN_SUCCESS_RATE}`,
    );
  });

  it.each([
    ['v1', 'v2'],
    ['v9', 'v10'],
    [undefined, 'v2'],
    ['latest', 'v2'],
  ])('after %s comes %s', (v, next) => {
    expect(nextVersion(v)).toBe(next);
  });

  it('changes only VERSION and ERROR_RATE, and says when it cannot', () => {
    expect(versionOf(rollout)).toBe('v1');
    const bad = withVersion(rollout, 'v2', 0.5) ?? '';
    expect(versionOf(bad)).toBe('v2');
    expect(env(bad)).toEqual([
      { name: 'VERSION', value: 'v2' },
      { name: 'ERROR_RATE', value: '0.5' },
    ]);
    expect(env(withVersion(bad, 'v3', 0) ?? '')).toEqual([
      { name: 'VERSION', value: 'v3' },
      { name: 'ERROR_RATE', value: '0' },
    ]);
    expect(bad.split('\n').length).toBe(rollout.split('\n').length);
    expect(withVersion('kind: Rollout\n', 'v2', 0)).toBeUndefined();
  });
});
