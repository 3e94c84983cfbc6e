/**
 * Results come back from the pod without any binary of ours in it: the steps write files to
 * `/sluice/results/<name>` (an emptyDir), and the pod's last container — a small shell image —
 * prints them framed, one line each (`<name> =<base64>`, `<name> !<size>` when too large,
 * `<name> -` when not written), between two marker lines. The controller reads that container's
 * log once the pod has succeeded and parses it here.
 *
 * A result holds at most 4096 bytes (as Tekton's); a larger one fails the TaskRun naming it.
 */
import type { ParamValue, ResultSpec, RunResult } from '../../api/pipeline.ts';
import { normaliseValue, valueTypeOf } from '../task/params.ts';

export const RESULT_LIMIT_BYTES = 4096;
const BEGIN = '--- sluice results v1 ---';
const END = '--- sluice results end ---';

/**
 * What the results container runs (`sh -c SCRIPT sluice-results name...`): POSIX sh, `wc` and
 * `base64 -w 0`, which busybox and coreutils both have.
 */
export function resultsScript(dir: string): string {
  return [
    `echo '${BEGIN}'`,
    'for name in "$@"; do',
    `  f="${dir}/$name"`,
    '  if [ ! -f "$f" ]; then echo "$name -"; continue; fi',
    '  size=$(($(wc -c < "$f")))',
    `  if [ "$size" -gt ${RESULT_LIMIT_BYTES} ]; then echo "$name !$size"; continue; fi`,
    '  printf \'%s =\' "$name"; base64 -w 0 < "$f"; echo',
    'done',
    `echo '${END}'`,
  ].join('\n');
}

export type ResultsProblem =
  | { kind: 'TooLarge'; result: string; bytes: number }
  | { kind: 'WrongType'; result: string; want: string }
  | { kind: 'Unreadable'; detail: string };

export type ParsedResults =
  { ok: true; results: RunResult[] } | { ok: false; problem: ResultsProblem };

function typed(spec: ResultSpec, text: string): ParamValue | undefined {
  const want = spec.type ?? 'string';
  if (want === 'string') return text;
  try {
    const v = normaliseValue(JSON.parse(text));
    return valueTypeOf(v) === want ? v : undefined;
  } catch {
    return undefined;
  }
}

function parseLine(
  line: string,
  specs: readonly ResultSpec[],
): RunResult | ResultsProblem | undefined {
  const m = /^(\S+) (=(.*)|!(\d+)|-)$/.exec(line);
  if (!m) return { kind: 'Unreadable', detail: `unexpected line ${JSON.stringify(line)}` };
  const [, name, , b64, size] = m;
  const spec = specs.find((s) => s.name === name);
  if (!spec || m[2] === '-') return undefined;
  if (size !== undefined) return { kind: 'TooLarge', result: name!, bytes: Number(size) };
  const text = Buffer.from(b64 ?? '', 'base64').toString('utf8');
  if (Buffer.byteLength(text) > RESULT_LIMIT_BYTES)
    return { kind: 'TooLarge', result: name!, bytes: Buffer.byteLength(text) };
  const value = typed(spec, text);
  if (value === undefined) return { kind: 'WrongType', result: name!, want: spec.type ?? 'string' };
  return { name: name!, ...(spec.type ? { type: spec.type } : {}), value };
}

/** The results printed in `log`, checked against the Task's declared results. */
export function parseResults(log: string, specs: readonly ResultSpec[]): ParsedResults {
  const lines = log.split('\n');
  const begin = lines.indexOf(BEGIN);
  const end = lines.indexOf(END);
  if (begin < 0 || end < begin)
    return { ok: false, problem: { kind: 'Unreadable', detail: 'the results log is incomplete' } };
  const results: RunResult[] = [];
  for (const line of lines.slice(begin + 1, end)) {
    const r = parseLine(line, specs);
    if (r === undefined) continue;
    if ('kind' in r) return { ok: false, problem: r };
    results.push(r);
  }
  return { ok: true, results };
}

/** The message a person reads when results could not be taken. */
export function describeProblem(p: ResultsProblem): string {
  if (p.kind === 'TooLarge')
    return `result "${p.result}" is ${p.bytes} bytes, more than the ${RESULT_LIMIT_BYTES} bytes a result may hold`;
  if (p.kind === 'WrongType')
    return `result "${p.result}" is declared as ${p.want === 'array' ? 'an array' : `an ${p.want}`} but what the step wrote is not JSON of that shape`;
  return `the results could not be read: ${p.detail}`;
}
