/** README and `--help` tell the same story (issue 8, item 10): build time, how many sample apps. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_APPS } from '../demo/samples.ts';
import { program } from './main.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const sub = (name: string) => program().commands.find((c) => c.name() === name);
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'];

describe('README and --help agree', () => {
  it('on the first build time', () => {
    const help = sub('dev-cluster')?.description() ?? '';
    const minutes = /about ([\d-]+) minutes on 2 cores/.exec(help)?.[1];
    expect(minutes).toBeDefined();
    expect(readme).toContain(`about ${minutes ?? ''} minutes on a 2-core machine`);
  });

  it('on how many sample Applications the demo registers', () => {
    const count = WORDS[SAMPLE_APPS.length] ?? '';
    expect(sub('demo')?.description()).toContain(`${count} sample Applications`);
    expect(readme).toContain(`${count} sample Applications`);
    expect(readme).not.toMatch(/three sample apps/);
  });
});
