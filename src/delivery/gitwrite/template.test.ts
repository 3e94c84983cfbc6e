import { describe, expect, it } from 'vitest';
import { renderTemplate } from './template.ts';

const automation = { Name: 'web', Namespace: 'apps', toString: () => 'apps/web' };
const data = {
  AutomationObject: automation,
  SourceCommit: '3f2a9c1b7d0e4f',
  Run: 'ci-run-x7k2p',
  Empty: '',
  None: [],
  Values: { cluster: 'prod' },
  Changed: {
    FileChanges: { 'apps/web.yaml': {}, 'apps/api.yaml': {} },
    Changes: [
      { OldValue: 'web:1.0', NewValue: 'web:1.1' },
      { OldValue: 'api:2.0', NewValue: 'api:2.1' },
    ],
    Objects: new Map([[{ Kind: 'Deployment', Name: 'Web' }, [{ OldValue: 'a', NewValue: 'b' }]]]),
  },
};

describe('renderTemplate', () => {
  const cases: Array<[string, string, string]> = [
    ['a field', 'deploy {{ .SourceCommit }}', 'deploy 3f2a9c1b7d0e4f'],
    ['a pipe', '{{ .SourceCommit | short }} from {{.Run}}', '3f2a9c1 from ci-run-x7k2p'],
    ['an object that says how it reads', 'by {{ .AutomationObject }}', 'by apps/web'],
    ['values', 'cluster {{ .Values.cluster | upper }}', 'cluster PROD'],
    [
      'range with print and println (a Flux template)',
      '{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}',
      'web:1.0 -> web:1.1\napi:2.0 -> api:2.1\n',
    ],
    [
      'range over a map with variables and trim markers, keys sorted',
      'Files:\n{{ range $filename, $_ := .Changed.FileChanges -}}\n- {{ $filename }}\n{{ end -}}\ndone',
      'Files:\n- apps/api.yaml\n- apps/web.yaml\ndone',
    ],
    [
      'range over object keys (Flux Objects)',
      '{{ range $resource, $changes := .Changed.Objects }}{{ $resource.Kind | lower }} {{ $resource.Name }}:{{ range $changes }} {{ .OldValue }}->{{ .NewValue }}{{ end }}{{ end }}',
      'deployment Web: a->b',
    ],
    ['if/else on an empty field', '{{ if .Empty }}yes{{ else }}no{{ end }}', 'no'],
    ['range else', '{{ range .None }}x{{ else }}none{{ end }}', 'none'],
    ['a comment', 'a{{/* hidden */}}b', 'ab'],
    ['a string literal', '{{ "[skip ci]" }} x', '[skip ci] x'],
  ];
  it.each(cases)('%s', (_what, template, want) => {
    expect(renderTemplate(template, data)).toBe(want);
  });

  const errors: Array<[string, RegExp]> = [
    ['{{ .Nope }}', /there is no field \.Nope/],
    ['{{ range .Changed.Changes }}x', /has no \{\{ end \}\}/],
    ['{{ end }}', /without a \{\{ range \}\}/],
    ['{{ sha256sum .Run }}', /unknown function "sha256sum"/],
    ['{{ $x }}', /undefined variable \$x/],
    ['{{ .Run', /not closed/],
  ];
  it.each(errors)('refuses %s', (template, message) => {
    expect(() => renderTemplate(template, data)).toThrow(message);
  });
});
