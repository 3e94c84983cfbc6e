/** Variables: whole values, text, escapes, nested variables, Kyverno's extra functions. */
import { describe, expect, it } from 'vitest';
import { parseTemplate, render } from './variables.ts';

const ctx = {
  request: {
    object: { metadata: { name: 'web', labels: { tier: 'front' } }, spec: { replicas: 3 } },
  },
  element: { limits: { memory: '2Gi' }, requests: { memory: '512Mi' } },
};

describe('templates', () => {
  it.each<[string, unknown]>([
    ['{{ request.object.metadata.name }}', 'web'],
    ['{{request.object.spec.replicas}}', 3],
    ['{{ request.object.metadata.labels }}', { tier: 'front' }],
    [
      'name={{ request.object.metadata.name }}, n={{ request.object.spec.replicas }}',
      'name=web, n=3',
    ],
    ['{{ request.object.metadata.namespace }}', null],
    ['ns=[{{ request.object.metadata.namespace }}]', 'ns=[]'],
    ['\\{{ literal }}', '{{ literal }}'],
    ['{{ to_upper(request.object.metadata.name) }}', 'WEB'],
    ["{{ regex_match('^w.b$', request.object.metadata.name) }}", true],
    ["{{ divide('{{ element.limits.memory }}', '{{ element.requests.memory }}') }}", 4],
    ["{{ subtract('1h', '30m') }}", 1_800_000],
    ["ratio {{ divide('{{ element.limits.memory }}', '1Gi') }}", 'ratio 2'],
  ])('%s → %j', (source, expected) => {
    expect(render(parseTemplate(source), ctx)).toEqual(expected);
  });

  it.each([['{{ a[ }}'], ['{{ }}'], ['{{ open'], ["{{ divide('{{ a[ }}', 1) }}"]])(
    'rejects %s at parse time',
    (source) => {
      expect(() => parseTemplate(source)).toThrow();
    },
  );
});
