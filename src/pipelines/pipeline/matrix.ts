/**
 * Matrix fan-out, as Tekton: the combinations of `matrix.params` (the first param varies
 * fastest: platform [linux, mac] × browser [chrome, firefox] gives linux-chrome, mac-chrome,
 * linux-firefox, mac-firefox), then `include`:
 * - an include entry adds its params to every combination whose values agree with the entry's
 *   params of the same names (an entry naming only new params adds them to all combinations);
 * - an entry that agrees with no combination (it could only be added by overwriting) becomes a
 *   combination of its own — as Tekton documents it (TEP-0118); Tekton's code drops such an
 *   entry when one of its values occurs in some combination (`{os: mac, browser: safari}` with
 *   mac in the matrix), which is not what anyone writing it wants;
 * - with no `matrix.params`, each include entry is one combination.
 * Each combination's params are sorted by name. Child i is `<run>-<task>-<i>`.
 *
 * @example
 * fanOut([{name: 'os', value: ['linux', 'mac']}], [{params: [{name: 'arch', value: 'arm'}]}]);
 * // [[{name: 'arch', value: 'arm'}, {name: 'os', value: 'linux'}], [arch arm, os mac]]
 */

export interface MatrixParam {
  name: string;
  value: readonly string[];
}
export interface IncludeEntry {
  name?: string;
  params: readonly { name: string; value: string }[];
}
export type Combination = { name: string; value: string }[];

type Combo = Map<string, string>;

/** The combinations, in Tekton's order. */
export function fanOut(
  params: readonly MatrixParam[],
  include: readonly IncludeEntry[] = [],
): Combination[] {
  const includes: Combo[] = include.map((e) => new Map(e.params.map((p) => [p.name, p.value])));
  if (params.length === 0) return includes.map(toParams);
  let combos: Combo[] = [];
  for (const p of params) combos = combos.length === 0 ? start(p) : distribute(combos, p);
  const merged = new Set<Combo>();
  for (const c of combos) {
    for (const inc of includes) {
      if (!agrees(c, inc)) continue;
      for (const [k, v] of inc) c.set(k, v);
      merged.add(inc);
    }
  }
  const added = includes.filter((inc) => inc.size > 0 && !merged.has(inc));
  return [...combos, ...added].map(toParams);
}

/** How many combinations `fanOut` gives; past 10,000 the product alone (enough for a limit). */
export function countCombinations(
  params: readonly MatrixParam[],
  include: readonly IncludeEntry[] = [],
): number {
  const product = params.reduce((n, p) => n * p.value.length, params.length > 0 ? 1 : 0);
  return product > 10_000 ? product : fanOut(params, include).length;
}

function start(p: MatrixParam): Combo[] {
  return p.value.map((v) => new Map([[p.name, v]]));
}

function distribute(combos: Combo[], p: MatrixParam): Combo[] {
  return p.value.flatMap((v) => combos.map((c) => new Map([...c, [p.name, v]])));
}

/** Every param of `inc` that `c` also has carries the same value. */
function agrees(c: Combo, inc: Combo): boolean {
  for (const [k, v] of inc) if (c.has(k) && c.get(k) !== v) return false;
  return true;
}

function toParams(c: Combo): Combination {
  return [...c]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
}
