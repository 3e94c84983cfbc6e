/** Analysis metrics as a scrape shows them. */
import { describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../api/analysis.ts';
import { analysisMetrics } from './metrics.ts';

describe('analysisMetrics', () => {
  it('one-hot phases of runs and of their metrics', async () => {
    const run: AnalysisRun = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: {
        metrics: [{ name: 'rate', provider: { prometheus: { address: 'http://p', query: 'up' } } }],
      },
      status: { phase: 'Failed', metricResults: [{ name: 'rate', phase: 'Failed' }] },
    };
    const text = await analysisMetrics(() => [run]).metrics();
    expect(text).toContain(
      'sluice_analysis_run_phase{name="web-1",namespace="shop",phase="Failed"} 1',
    );
    expect(text).toContain(
      'sluice_analysis_run_phase{name="web-1",namespace="shop",phase="Running"} 0',
    );
    expect(text).toContain(
      'sluice_analysis_run_metric_phase{name="web-1",namespace="shop",metric="rate",provider="prometheus",phase="Failed"} 1',
    );
  });
});
