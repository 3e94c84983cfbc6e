/**
 * Git and the Rollout controller on the same objects (ADR 0008). Before an object is dry-run
 * and before it is applied, the GitOps engine leaves out of Git's object what belongs to the
 * Rollout controller or to an operator, so that it is neither a difference (the app stays
 * Synced while a rollout progresses) nor overwritten by a sync or self-heal:
 *
 * 1. On the objects a Rollout of the same app names (its Services, its HTTPRoutes, its
 *    workloadRef, its stable Ingress, the Rollout itself):
 *    - a Service's `spec.selector` keeps the live `rollouts-pod-template-hash` (the selector is
 *      an atomic map: Git's keys are applied, the controller's one is carried over);
 *    - an HTTPRoute's `spec.rules` (atomic) are Git's rules with the live weights of the
 *      Rollout's stable and canary backendRefs and the live header-route rules it added;
 *    - any other field the controller (`sluice-rollouts`) manages is left out of Git's object.
 *    An object that carries live values over is applied with the live resourceVersion: if the
 *    controller writes in between, the apply conflicts and is retried, never overwrites.
 * 2. A Rollout's `spec.paused` and `spec.restartAt` written by `sluice rollout ...` (manager
 *    `sluice-cli`) are kept until Git changes its own value of them: Git's values at each apply
 *    are recorded in the annotation `sluice.dev/git-rollout-controls`.
 *
 * Objects that do not exist yet, and objects no Rollout of the app names, are Git's whole: when
 * a Rollout leaves Git, its Services and routes go back to what Git says.
 */
import type { Rollout } from '../api/rollout.ts';
import { groupOf, isRecord, refKey, type KubeObject } from '../kube/types.ts';
import { HASH_LABEL } from '../rollouts/replicasets.ts';
import {
  gatewayRoutes,
  managedRuleName,
  type BackendRef,
  type RouteRule,
} from '../rollouts/traffic/gatewayapi.ts';
import { CLI_MANAGER, managedPointers, ROLLOUTS_MANAGER } from './managers.ts';
import { jsonEqual, removePointer } from './normalize.ts';
import type { DesiredResource } from './preflight.ts';

export const ROLLOUT_GROUP = 'sluice.dev';
/** Git's values of a Rollout's `spec.paused` / `spec.restartAt` when the engine last applied it. */
export const GIT_CONTROLS_ANNOTATION = 'sluice.dev/git-rollout-controls';
const CONTROLS = ['paused', 'restartAt'] as const;
const ROUTE_GROUP = 'gateway.networking.k8s.io';

/** One Rollout's split on an HTTPRoute. */
export interface RouteSplit {
  stable: string;
  canary: string;
  /** The Rollout's namespace (where its Services are). */
  namespace: string;
  /** The route's namespace (a backendRef without one points there). */
  routeNamespace: string;
  /** Names of the header-route rules the Rollout may add. */
  managedRules: ReadonlySet<string>;
}

/** What the Rollouts of one app name, by object key (`refKey`). */
export interface RolloutRoles {
  /** Services whose selector the controller points at one version. */
  services: Set<string>;
  /** HTTPRoutes whose weights and header rules the controller sets. */
  routes: Map<string, RouteSplit[]>;
  /** Every object a Rollout names, and the Rollouts themselves. */
  named: Set<string>;
}

/** Git's object less what others own, and whether live values were carried into it. */
export interface Yielded {
  object: KubeObject;
  /** Live values were put in: apply it with the live resourceVersion. */
  carried: boolean;
}

const isRolloutRef = (r: DesiredResource): boolean =>
  r.ref.group === ROLLOUT_GROUP && r.ref.kind === 'Rollout';

function asRollout(r: DesiredResource): Rollout | undefined {
  const spec = r.object['spec'];
  if (!isRecord(spec) || !isRecord(spec['strategy'])) return undefined;
  const metadata = { ...r.object.metadata, name: r.ref.name, namespace: r.ref.namespace };
  return { ...r.object, metadata } as Rollout;
}

function addRoutes(roles: RolloutRoles, ro: Rollout): void {
  const canary = ro.spec.strategy.canary;
  if (!canary?.stableService || !canary.canaryService) return;
  let settings: ReturnType<typeof gatewayRoutes>;
  try {
    settings = gatewayRoutes(ro);
  } catch {
    return; // no Gateway API router (or a config the controller itself refuses)
  }
  const managedRules = new Set(
    (canary.trafficRouting?.managedRoutes ?? []).map((m) => managedRuleName(ro, m.name)),
  );
  for (const s of settings) {
    const key = refKey({
      group: ROUTE_GROUP,
      kind: 'HTTPRoute',
      namespace: s.namespace,
      name: s.name,
    });
    const split: RouteSplit = {
      stable: canary.stableService,
      canary: canary.canaryService,
      namespace: ro.metadata.namespace,
      routeNamespace: s.namespace,
      managedRules,
    };
    roles.routes.set(key, [...(roles.routes.get(key) ?? []), split]);
    roles.named.add(key);
  }
}

function addNamed(roles: RolloutRoles, ro: Rollout): void {
  const ns = ro.metadata.namespace;
  const { canary, blueGreen } = ro.spec.strategy;
  const services = [
    canary?.stableService,
    canary?.canaryService,
    blueGreen?.activeService,
    blueGreen?.previewService,
  ];
  for (const name of services) {
    if (!name) continue;
    const key = refKey({ group: '', kind: 'Service', namespace: ns, name });
    roles.services.add(key);
    roles.named.add(key);
  }
  const ingress = canary?.trafficRouting?.nginx?.stableIngress;
  if (ingress)
    roles.named.add(
      refKey({ group: 'networking.k8s.io', kind: 'Ingress', namespace: ns, name: ingress }),
    );
  const w = ro.spec.workloadRef;
  if (w)
    roles.named.add(
      refKey({ group: groupOf(w.apiVersion), kind: w.kind, namespace: ns, name: w.name }),
    );
}

/** What the app's Rollouts name, from its desired objects. */
export function rolloutRoles(resources: Iterable<DesiredResource>): RolloutRoles {
  const roles: RolloutRoles = { services: new Set(), routes: new Map(), named: new Set() };
  for (const r of resources) {
    if (!isRolloutRef(r)) continue;
    const ro = asRollout(r);
    if (!ro) continue;
    roles.named.add(r.key);
    try {
      addNamed(roles, ro);
      addRoutes(roles, ro);
    } catch (err) {
      // Git's object is not validated yet: a malformed Rollout names what it could, and its
      // dry-run says what is wrong with it.
      if (!(err instanceof TypeError)) throw err;
    }
  }
  return roles;
}

function specOf(obj: KubeObject): Record<string, unknown> {
  if (!isRecord(obj['spec'])) obj['spec'] = {};
  return obj['spec'] as Record<string, unknown>;
}

/** The Service selects the version the controller chose: its hash key comes from live. */
function carrySelectorHash(object: KubeObject, live: KubeObject): boolean {
  const liveSelector = isRecord(live['spec']) ? live['spec']['selector'] : undefined;
  const hash = isRecord(liveSelector) ? liveSelector[HASH_LABEL] : undefined;
  if (typeof hash !== 'string') return false;
  const spec = specOf(object);
  const selector = isRecord(spec['selector']) ? spec['selector'] : {};
  spec['selector'] = { ...selector, [HASH_LABEL]: hash };
  return true;
}

function isService(ref: unknown, service: string, split: RouteSplit): boolean {
  if (!isRecord(ref)) return false;
  const b = ref as BackendRef;
  return (
    b.name === service &&
    (b.namespace ?? split.routeNamespace) === split.namespace &&
    (b.group ?? '') === '' &&
    (b.kind ?? 'Service') === 'Service'
  );
}

/** The stable and canary backendRefs of a rule (not one of the managed header rules). */
function splitIn(
  rule: RouteRule,
  split: RouteSplit,
): { stable: number; canary: number } | undefined {
  if (rule.name !== undefined && split.managedRules.has(rule.name)) return undefined;
  // Git's objects are not validated yet: anything may be where backendRefs should be.
  const refs: unknown[] = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
  const stable = refs.findIndex((b) => isService(b, split.stable, split));
  const canary = refs.findIndex((b) => isService(b, split.canary, split));
  return stable < 0 || canary < 0 ? undefined : { stable, canary };
}

function withWeight(ref: BackendRef, weight: number | undefined): BackendRef {
  const { weight: _w, ...rest } = ref;
  return weight === undefined ? rest : { ...rest, weight };
}

/** Git's rules with the weights the controller set and the header rules it added, from live. */
export function carryRules(
  desired: readonly RouteRule[],
  live: readonly RouteRule[],
  split: RouteSplit,
): RouteRule[] | undefined {
  let rules = [...desired];
  let carried = false;
  const liveRule = live.find((r) => splitIn(r, split) !== undefined);
  const at = liveRule ? splitIn(liveRule, split) : undefined;
  if (liveRule && at) {
    const stableWeight = liveRule.backendRefs?.[at.stable]?.weight;
    const canaryWeight = liveRule.backendRefs?.[at.canary]?.weight;
    rules = rules.map((rule) => {
      const s = splitIn(rule, split);
      if (!s) return rule;
      carried = true;
      const backendRefs = (rule.backendRefs ?? []).map((b, i) =>
        i === s.stable
          ? withWeight(b, stableWeight)
          : i === s.canary
            ? withWeight(b, canaryWeight)
            : b,
      );
      return { ...rule, backendRefs };
    });
  }
  const names = new Set(rules.flatMap((r) => (r.name === undefined ? [] : [r.name])));
  const added = live.filter(
    (r) => r.name !== undefined && split.managedRules.has(r.name) && !names.has(r.name),
  );
  if (added.length > 0) carried = true;
  return carried ? [...rules, ...added] : undefined;
}

function rulesOf(obj: KubeObject): RouteRule[] {
  const spec = obj['spec'];
  const rules = isRecord(spec) ? spec['rules'] : undefined;
  return Array.isArray(rules) ? rules.filter(isRecord) : [];
}

function carryRoute(object: KubeObject, live: KubeObject, splits: readonly RouteSplit[]): boolean {
  let carried = false;
  for (const split of splits) {
    const rules = carryRules(rulesOf(object), rulesOf(live), split);
    if (!rules) continue;
    specOf(object)['rules'] = rules;
    carried = true;
  }
  return carried;
}

/** Removes from Git's object the fields only the controller writes (atomic ones handled above). */
function removeControllerFields(object: KubeObject, live: KubeObject, handled: string[]): void {
  for (const p of managedPointers(live, ROLLOUTS_MANAGER)) {
    if (handled.some((h) => p === h || p.startsWith(`${h}/`))) continue;
    // Of the metadata, only labels and annotations are anyone's to take; names and owners stay.
    if (p.startsWith('/metadata/') && !/^\/metadata\/(labels|annotations)\//.test(p)) continue;
    removePointer(object, p);
  }
}

/** Git's values of the Rollout's controls, or undefined when Git sets none. */
function gitControls(object: KubeObject): Record<string, unknown> | undefined {
  const spec = object['spec'];
  if (!isRecord(spec)) return undefined;
  const set = CONTROLS.filter((c) => spec[c] !== undefined);
  return set.length === 0 ? undefined : Object.fromEntries(set.map((c) => [c, spec[c]]));
}

function recordedControls(live: KubeObject): Record<string, unknown> | undefined {
  const text = live.metadata.annotations?.[GIT_CONTROLS_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A control the CLI set stays, unless Git's value changed since the engine last applied it. */
function yieldControls(object: KubeObject, git: Record<string, unknown>, live: KubeObject): void {
  const recorded = recordedControls(live);
  if (!recorded) return;
  const byCli = new Set(managedPointers(live, CLI_MANAGER));
  const spec = specOf(object);
  for (const [field, value] of Object.entries(git)) {
    if (byCli.has(`/spec/${field}`) && field in recorded && jsonEqual(recorded[field], value))
      delete spec[field];
  }
}

/**
 * Git's object for `r`, less what the Rollout controller and operators own on `live` (see the
 * file comment). Returns `r.object` itself when nothing applies.
 */
export function yieldToOwners(
  r: DesiredResource,
  live: KubeObject | undefined,
  roles: RolloutRoles,
): Yielded {
  const rollout = isRolloutRef(r);
  const controls = rollout ? gitControls(r.object) : undefined;
  const named = live !== undefined && roles.named.has(r.key);
  if (!controls && !named) return { object: r.object, carried: false };
  const object = structuredClone(r.object);
  let carried = false;
  if (controls) {
    object.metadata.annotations = {
      ...object.metadata.annotations,
      [GIT_CONTROLS_ANNOTATION]: JSON.stringify(controls),
    };
    if (live) yieldControls(object, controls, live);
  }
  if (named && live) {
    const handled: string[] = [];
    if (roles.services.has(r.key)) {
      handled.push('/spec/selector');
      carried = carrySelectorHash(object, live) || carried;
    }
    const splits = roles.routes.get(r.key);
    if (splits) {
      handled.push('/spec/rules');
      carried = carryRoute(object, live, splits) || carried;
    }
    removeControllerFields(object, live, handled);
  }
  return { object, carried };
}
