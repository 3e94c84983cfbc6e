/**
 * Reading policies and resources from files and folders (multi-document YAML or JSON, `List`
 * objects unwrapped). Every problem names the file: unreadable, not YAML, not an object, or a
 * policy that does not compile. These are bad input (exit code 2), never a policy verdict.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SluiceError } from '../errors.ts';
import { isRecord, type KubeObject } from '../kube/types.ts';
import { compilePolicy, isPolicyObject, type CompiledPolicy } from './compile.ts';

export interface LoadedDoc {
  file: string;
  object: KubeObject;
}

const YAML_FILE = /\.(ya?ml|json)$/i;

function badInput(file: string, message: string, cause?: unknown): SluiceError {
  return new SluiceError('BadInput', `${file}: ${message}`, {
    hint: 'check the file; policies and resources are Kubernetes YAML (several documents per file are fine)',
    exitCode: 2,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** A file to read; `found` when a folder walk found it (then non-objects are passed over). */
export interface InputFile {
  file: string;
  found: boolean;
}

/** The YAML files under the given files and folders (folders walked recursively, sorted). */
export async function expandPaths(paths: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch (cause) {
      throw badInput(p, `cannot read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, cause);
    }
    if (!info.isDirectory()) {
      out.push({ file: p, found: false });
      continue;
    }
    const entries = await readdir(p, { withFileTypes: true, recursive: true });
    const files = entries
      .filter((e) => e.isFile() && YAML_FILE.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    out.push(...files.map((file) => ({ file, found: true })));
  }
  return out;
}

/**
 * Parses the documents of one YAML text; `file` names it in errors. With `lenient`, documents
 * that are not Kubernetes objects (a kyverno-test.yaml, a values file) are passed over.
 */
export function parseDocs(text: string, file: string, lenient = false): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const first = doc.errors[0];
    if (first !== undefined)
      throw badInput(file, `not valid YAML: ${first.message.split('\n')[0] ?? ''}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value)) {
      if (lenient) continue;
      throw badInput(
        file,
        'a document is not a Kubernetes object (apiVersion and kind are required)',
      );
    }
    if (value.kind.endsWith('List') && Array.isArray(value['items'])) {
      for (const item of value['items']) if (isRecord(item)) out.push(item as KubeObject);
      continue;
    }
    value.metadata = isRecord(value.metadata) ? value.metadata : {};
    out.push(value);
  }
  return out;
}

const isObject = (v: unknown): v is KubeObject =>
  isRecord(v) && typeof v['kind'] === 'string' && typeof v['apiVersion'] === 'string';

/** Every object in the files and folders given. */
export async function loadDocs(paths: readonly string[]): Promise<LoadedDoc[]> {
  const out: LoadedDoc[] = [];
  for (const { file, found } of await expandPaths(paths)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw badInput(
        file,
        `cannot read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
        cause,
      );
    }
    for (const object of parseDocs(text, file, found)) out.push({ file, object });
  }
  return out;
}

/** Compiles the policies among the documents; a bad one names its file. Others are ignored. */
export function compileDocs(docs: readonly LoadedDoc[]): CompiledPolicy[] {
  return docs
    .filter((d) => isPolicyObject(d.object))
    .map((d) => {
      try {
        return compilePolicy(d.object);
      } catch (err) {
        if (err instanceof SluiceError) {
          throw new SluiceError(err.code, `${d.file}: ${err.message}`, {
            ...(err.hint ? { hint: err.hint } : {}),
            exitCode: 2,
          });
        }
        throw err;
      }
    });
}
