/**
 * A TaskRun's results from its results directory, as the cluster takes them from the pod: each
 * declared result the steps wrote (`$(results.<name>.path)`), at most 4096 bytes (the same limit
 * and the same message as the cluster's, see ../kube/results.ts), an array or object result
 * parsed as JSON of that shape. A result not written is simply absent (the engine decides what a
 * missing result means).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParamValue, ResultSpec, RunResult } from '../../api/pipeline.ts';
import { RESULT_LIMIT_BYTES, type ParsedResults, type ResultsProblem } from '../kube/results.ts';
import { normaliseValue, valueTypeOf } from '../task/params.ts';

/** The value of `text` as the declared type, or undefined when it is not of that shape. */
export function typedValue(spec: ResultSpec, text: string): ParamValue | undefined {
  const want = spec.type ?? 'string';
  if (want === 'string') return text;
  try {
    const v = normaliseValue(JSON.parse(text));
    return valueTypeOf(v) === want ? v : undefined;
  } catch {
    return undefined;
  }
}

async function readOne(
  dir: string,
  spec: ResultSpec,
): Promise<RunResult | ResultsProblem | undefined> {
  const file = join(dir, spec.name);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  if (info.size > RESULT_LIMIT_BYTES)
    return { kind: 'TooLarge', result: spec.name, bytes: info.size };
  const value = typedValue(spec, await readFile(file, 'utf8'));
  if (value === undefined)
    return { kind: 'WrongType', result: spec.name, want: spec.type ?? 'string' };
  return { name: spec.name, ...(spec.type ? { type: spec.type } : {}), value };
}

/** The declared results found in `dir`, or the first problem. */
export async function readResults(
  dir: string,
  specs: readonly ResultSpec[],
): Promise<ParsedResults> {
  const results: RunResult[] = [];
  for (const spec of specs) {
    const r = await readOne(dir, spec);
    if (r === undefined) continue;
    if ('kind' in r) return { ok: false, problem: r };
    results.push(r);
  }
  return { ok: true, results };
}
