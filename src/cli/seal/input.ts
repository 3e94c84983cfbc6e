/**
 * What `sluice seal` reads and writes: YAML or JSON documents (several per input, as
 * `kubectl get -o yaml` of a List gives), `--from-file [key=]path` as kubectl spells it, and the
 * output as JSON (kubeseal's default) or YAML. Pure, so it is tested without files.
 */
import { basename } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { SealedError } from '../../sealed/errors.ts';

export type SealFormat = 'json' | 'yaml';

/** The documents of a YAML/JSON text; a `List` (kind: List / SecretList...) gives its items. */
export function parseDocuments(text: string, what: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new SealedError(
        'InvalidInput',
        `${what} is not YAML or JSON: ${doc.errors[0]?.message ?? ''}`,
        {
          exitCode: 2,
        },
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const { kind, items } = value as { kind?: unknown; items?: unknown };
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items))
      out.push(...(items as unknown[]));
    else out.push(value);
  }
  if (out.length === 0) {
    throw new SealedError('InvalidInput', `${what} is empty`, {
      hint: 'pipe a Secret in (kubectl create secret generic NAME --from-literal=k=v --dry-run=client -o yaml | sluice seal)',
      exitCode: 2,
    });
  }
  return out;
}

/** `key=path` or `path` (the key is then the file's name), as kubectl's --from-file. */
export function parseFromFile(spec: string): { key: string; path: string } {
  const eq = spec.indexOf('=');
  const key = eq > 0 ? spec.slice(0, eq) : basename(spec);
  const path = eq > 0 ? spec.slice(eq + 1) : spec;
  if (!key || !path || !/^[-._a-zA-Z0-9]+$/.test(key)) {
    throw new SealedError(
      'InvalidInput',
      `--from-file ${spec}: the key "${key}" is not a valid Secret key`,
      {
        hint: 'use --from-file key=path (keys: letters, digits, -, _ and .)',
        exitCode: 2,
      },
    );
  }
  return { key, path };
}

/** Objects as JSON (one after another, as kubeseal prints them) or as YAML documents. */
export function formatObjects(objects: readonly unknown[], format: SealFormat): string {
  if (format === 'json') return objects.map((o) => `${JSON.stringify(o, null, 2)}\n`).join('');
  return objects.map((o) => stringify(o)).join('---\n');
}
