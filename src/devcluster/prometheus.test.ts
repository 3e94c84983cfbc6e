import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusBinary, prometheusConfig } from './prometheus.ts';

describe('the Prometheus Sluice starts', () => {
  it('scrapes the targets of a file it re-reads every second (its config is YAML, written as JSON)', () => {
    const text = prometheusConfig({
      dir: '/tmp/p',
      jobName: 'demo',
      intervalS: 1,
      metricsPath: '/metrics',
    });
    expect(parse(text)).toEqual({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'demo',
          scrape_interval: '1s',
          scrape_timeout: '1s',
          metrics_path: '/metrics',
          file_sd_configs: [{ files: ['/tmp/p/targets.json'], refresh_interval: '1s' }],
        },
      ],
    });
  });

  it('without the binary: says how to install it', async () => {
    const err = await prometheusBinary('/nonexistent/prometheus').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PrometheusMissing' });
    expect((err as Error).message).toContain('/nonexistent/prometheus');
    expect((err as { hint: string }).hint).toContain('apt-get install prometheus');
  });
});
