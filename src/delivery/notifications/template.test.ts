/** The template subset: references, filters, escaping, structured and JSON-text bodies. */
import { describe, expect, it } from 'vitest';
import { sampleEvent } from '../events/sample.ts';
import { checkReferences, commitURL, templateContext } from './fields.ts';
import {
  compile,
  jsonString,
  references,
  renderJsonText,
  renderText,
  renderValue,
  slackText,
  TemplateError,
} from './template.ts';

const ctx = {
  app: { name: 'web', namespace: 'shop' },
  revision: 'a'.repeat(40),
  message: 'quote " backslash \\ newline\n<b>&',
  details: { step: '2', empty: '' },
  n: 3,
};

describe('renderText', () => {
  const cases: Array<{ name: string; text: string; want: string }> = [
    { name: 'plain text', text: 'no references', want: 'no references' },
    { name: 'a field', text: 'app {{ .app.name }}!', want: 'app web!' },
    {
      name: 'no spaces, trim markers',
      text: '{{.app.name}}/{{- .app.namespace -}}',
      want: 'web/shop',
    },
    { name: 'missing field is empty', text: '[{{ .app.missing }}]', want: '[]' },
    { name: 'through a string', text: '[{{ .app.name.x }}]', want: '[]' },
    { name: 'short', text: '{{ .revision | short }}', want: 'aaaaaaa' },
    { name: 'upper', text: '{{ .app.name | upper }}', want: 'WEB' },
    { name: 'default on empty', text: '{{ .details.empty | default "none" }}', want: 'none' },
    { name: 'default with a pipe', text: '{{ .details.x | default "a|b" }}', want: 'a|b' },
    { name: 'default kept value', text: '{{ .details.step | default "none" }}', want: '2' },
    { name: 'trunc', text: '{{ .app.namespace | trunc 3 }}', want: 'sh…' },
    { name: 'chain', text: '{{ .details.x | default "abc" | upper }}', want: 'ABC' },
    { name: 'a number', text: '{{ .n }}', want: '3' },
    { name: 'an object as JSON', text: '{{ .app }}', want: '{"name":"web","namespace":"shop"}' },
  ];
  it.each(cases)('$name', ({ text, want }) => expect(renderText(text, ctx)).toBe(want));

  const bad: Array<{ name: string; text: string }> = [
    { name: 'a call', text: '{{ call .x }}' },
    { name: 'control flow', text: '{{ if .x }}y{{ end }}' },
    { name: 'an unknown filter', text: '{{ .x | exec }}' },
    { name: 'default without quotes', text: '{{ .x | default none }}' },
    { name: 'trunc without a number', text: '{{ .x | trunc }}' },
    { name: 'unclosed', text: 'a {{ .x ' },
    { name: 'a variable', text: '{{ $x }}' },
  ];
  it.each(bad)('refuses $name', ({ text }) => expect(() => compile(text)).toThrow(TemplateError));
});

describe('escaping', () => {
  it('escapes substituted values only, for JSON strings and Slack', () => {
    expect(renderText('"{{ .message }}"', ctx, jsonString)).toBe(
      '"quote \\" backslash \\\\ newline\\n<b>&"',
    );
    expect(renderText('<https://x|{{ .message }}>', ctx, slackText)).toBe(
      '<https://x|quote " backslash \\ newline\n&lt;b&gt;&amp;>',
    );
  });

  it('JSON text stays valid JSON whatever the values hold', () => {
    expect(renderJsonText('{"text": "{{ .message }}", "n": {{ .n }}}', ctx)).toEqual({
      text: ctx.message,
      n: 3,
    });
    expect(() => renderJsonText('{"text": {{ .message }}}', ctx)).toThrow(/not valid JSON/);
  });

  it('structured bodies keep a bare reference typed and render the rest as text', () => {
    expect(
      renderValue(
        {
          app: '{{ .app }}',
          n: '{{ .n }}',
          text: 'at {{ .revision | short }}',
          list: ['{{ .details.step }}', 1, true],
        },
        ctx,
      ),
    ).toEqual({ app: ctx.app, n: 3, text: 'at aaaaaaa', list: ['2', 1, true] });
  });
});

describe('fields', () => {
  it('knows the event fields and any key of the maps', () => {
    const paths = references(
      compile(
        '{{ .app.name }} {{ .details.anything }} {{ .context.x }} {{ .labels.team }} {{ .object.kind }} {{ .revisionShort }}',
      ),
    );
    expect(checkReferences(paths)).toEqual([]);
    expect(
      checkReferences(
        references(compile('{{ .ap.name }} {{ .app.metadata.name }} {{ .revision.x }}')),
      ),
    ).toEqual(['.ap.name', '.app.metadata.name', '.revision.x']);
  });

  const urls: Array<{ repo: string | undefined; want: string }> = [
    {
      repo: 'https://git.example.com/org/app.git',
      want: 'https://git.example.com/org/app/commit/abc1234',
    },
    {
      repo: 'git@git.example.com:org/app.git',
      want: 'https://git.example.com/org/app/commit/abc1234',
    },
    {
      repo: 'ssh://git@git.example.com/org/app',
      want: 'https://git.example.com/org/app/commit/abc1234',
    },
    { repo: 'file:///tmp/repo', want: '' },
    { repo: undefined, want: '' },
  ];
  it.each(urls)('commitURL($repo)', ({ repo, want }) =>
    expect(commitURL(repo, 'abc1234')).toBe(want),
  );

  it('builds the context of an event, with .url under context.baseURL', () => {
    const e = sampleEvent('sync-failed', { namespace: 'shop', name: 'web', now: new Date(0) });
    const c = templateContext(e, {
      namespace: 'shop',
      name: 'ops',
      context: { baseURL: 'https://sluice.example.com/' },
      trigger: 'failures',
    });
    expect(
      renderText('{{ .url }} {{ .notification.name }} {{ .trigger }} {{ .revisionShort }}', c),
    ).toBe('https://sluice.example.com/applications/shop/web ops failures 0123456');
  });
});
