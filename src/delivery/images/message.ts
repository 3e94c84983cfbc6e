/**
 * The data an ImageUpdateAutomation's `messageTemplate` sees, shaped as Flux's (so its templates
 * keep working): `.AutomationObject` (reads `namespace/name`), `.Changed.FileChanges` (file ->
 * changes), `.Changed.Objects` (object -> changes), `.Changed.Changes` (each `.OldValue`,
 * `.NewValue`, `.Setter`), `.Values` (spec.git.commit.messageTemplateValues).
 */
import type { FileEdit } from '../gitwrite/index.ts';

export interface TemplateChange {
  OldValue: string;
  NewValue: string;
  Setter: string;
}

export interface TemplateObject {
  Name: string;
  Namespace: string;
  APIVersion: string;
  Kind: string;
}

export const DEFAULT_AUTOMATION_MESSAGE = `Update from image update automation {{ .AutomationObject }}

{{ range $file, $changes := .Changed.FileChanges -}}
{{ $file }}:
{{ range $changes }}  {{ .Setter }}: {{ .OldValue }} -> {{ .NewValue }}
{{ end }}{{ end }}`;

/** The template data for the files an automation run changed. */
export function automationTemplateData(
  automation: { namespace: string; name: string },
  files: readonly FileEdit[],
  values: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const fileChanges: Record<string, TemplateChange[]> = {};
  const objects = new Map<string, { key: TemplateObject; changes: TemplateChange[] }>();
  const all: TemplateChange[] = [];
  for (const f of files) {
    for (const c of f.changes) {
      const change = {
        OldValue: c.oldValue ?? '',
        NewValue: c.newValue ?? '',
        Setter: c.setter ?? '',
      };
      (fileChanges[f.file] ??= []).push(change);
      all.push(change);
      const o = c.object ?? {};
      const key: TemplateObject = {
        Name: o.name ?? '',
        Namespace: o.namespace ?? '',
        APIVersion: o.apiVersion ?? '',
        Kind: o.kind ?? '',
      };
      const id = JSON.stringify(key);
      const entry = objects.get(id) ?? { key, changes: [] };
      entry.changes.push(change);
      objects.set(id, entry);
    }
  }
  return {
    AutomationObject: {
      Name: automation.name,
      Namespace: automation.namespace,
      toString: () => `${automation.namespace}/${automation.name}`,
    },
    Changed: {
      FileChanges: fileChanges,
      Objects: new Map([...objects.values()].map((e) => [e.key, e.changes])),
      Changes: all,
    },
    Values: { ...values },
  };
}
