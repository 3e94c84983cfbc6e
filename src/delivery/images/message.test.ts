import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../gitwrite/index.ts';
import { automationTemplateData, DEFAULT_AUTOMATION_MESSAGE } from './message.ts';

const files = [
  {
    file: 'apps/web.yaml',
    changes: [
      {
        path: 'spec.template.spec.containers[0].image',
        oldValue: 'localhost:5000/web:1.0.0',
        newValue: 'localhost:5000/web:1.1.0',
        setter: 'apps:web',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
      },
    ],
  },
  {
    file: 'envs/dev/kustomization.yaml',
    changes: [
      { path: 'images[0].newTag', oldValue: '1.0.0', newValue: '1.1.0', setter: 'apps:web:tag' },
    ],
  },
];
const data = automationTemplateData({ namespace: 'apps', name: 'web-update' }, files, {
  cluster: 'dev',
});

describe('automation commit messages', () => {
  it('the default lists each file and each setter change', () => {
    expect(renderTemplate(DEFAULT_AUTOMATION_MESSAGE, data)).toBe(
      'Update from image update automation apps/web-update\n\n' +
        'apps/web.yaml:\n  apps:web: localhost:5000/web:1.0.0 -> localhost:5000/web:1.1.0\n' +
        'envs/dev/kustomization.yaml:\n  apps:web:tag: 1.0.0 -> 1.1.0\n',
    );
  });

  it("renders Flux's documented template unchanged", () => {
    const flux = `Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
for {{ .Values.cluster }}`;
    expect(renderTemplate(flux, data)).toBe(
      'Automated image update\n\nAutomation name: apps/web-update\n\nFiles:\n- apps/web.yaml\n- envs/dev/kustomization.yaml\n' +
        'Objects:\n- Deployment web\n  Changes:\n    - localhost:5000/web:1.0.0 -> localhost:5000/web:1.1.0\n' +
        '-  \n  Changes:\n    - 1.0.0 -> 1.1.0\nfor dev',
    );
  });

  it('Flux one-liner with print/println', () => {
    expect(
      renderTemplate(
        '{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}',
        data,
      ),
    ).toBe('localhost:5000/web:1.0.0 -> localhost:5000/web:1.1.0\n1.0.0 -> 1.1.0\n');
  });
});
