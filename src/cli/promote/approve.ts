/**
 * `sluice promote approve|reject ENV`: records a decision on what waits to enter ENV, as an entry
 * in the Promotion's spec.approvals naming the user the API server knows this client as (a
 * SelfSubjectReview). The API server's admission policy (api/promotion-policy.ts) refuses it
 * unless RBAC lets that user update `promotions/approval`; the refusal is shown as it comes, with
 * the rule to ask for. Written with the resourceVersion it was decided on; a conflict reads again.
 */
import type { Approval, Decision, Promotion } from '../../api/promotion.ts';
import { PROMOTION_KIND } from '../../api/promotion.ts';
import { shortVersion } from '../../delivery/promotion/imageref.ts';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/types.ts';

export const PROMOTION_API = 'sluice.dev/v1alpha1';

/** Who the API server says this client is. */
export async function whoAmI(kube: Kube): Promise<string> {
  const review = await kube.create<KubeObject & { status?: { userInfo?: { username?: string } } }>({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: {},
  });
  const user = review.status?.userInfo?.username;
  if (!user) throw new SluiceError('UnknownUser', 'the API server did not say who this client is');
  return user;
}

/** The Promotion named, or the only one in the namespace. */
export async function findPromotion(
  kube: Kube,
  namespace: string,
  name?: string,
): Promise<Promotion> {
  if (name) {
    const p = await kube.get<Promotion>(PROMOTION_API, PROMOTION_KIND, namespace, name);
    if (!p)
      throw new SluiceError('NotFound', `Promotion/${namespace}/${name} not found`, {
        hint: `list them with \`sluice promote status -n ${namespace}\``,
        exitCode: 3,
      });
    return p;
  }
  const all = (await kube.list<Promotion>(PROMOTION_API, PROMOTION_KIND, { namespace })).items;
  if (all.length === 1) return all[0]!;
  throw new SluiceError(
    all.length === 0 ? 'NotFound' : 'Ambiguous',
    all.length === 0
      ? `no Promotion in namespace ${namespace}`
      : `${all.length} Promotions in namespace ${namespace}: ${all.map((p) => p.metadata.name).join(', ')}`,
    { hint: 'name one with --promotion NAME', exitCode: all.length === 0 ? 3 : 2 },
  );
}

/** The version waiting to enter `env` for a person's decision. */
function waiting(p: Promotion, env: string): string {
  const ref = `Promotion/${p.metadata.namespace}/${p.metadata.name}`;
  const spec = p.spec.environments.find((e) => e.name === env);
  if (!spec)
    throw new SluiceError('NotFound', `${ref} has no environment ${env}`, {
      hint: `its environments: ${p.spec.environments.map((e) => e.name).join(', ')}`,
      exitCode: 3,
    });
  const c = p.status?.environments?.find((e) => e.name === env)?.candidate;
  const gate = c?.gates?.find((g) => g.name === 'approval');
  if (!c || c.phase !== 'Waiting' || gate?.state !== 'Pending')
    throw new SluiceError(
      'NothingToApprove',
      `${ref}: nothing waits for approval in ${env}${c ? ` (${shortVersion(c.version)} is ${c.phase}${c.message ? `: ${c.message}` : ''})` : ''}`,
      {
        hint: `see \`sluice promote status ${p.metadata.name} -n ${p.metadata.namespace}\``,
        exitCode: 1,
      },
    );
  return c.version;
}

/** Records `decision` for what waits to enter `env`; answers the approval written. */
export async function decide(
  kube: Kube,
  namespace: string,
  o: { promotion?: string; env: string; decision: Decision; reason?: string },
): Promise<{ promotion: Promotion; approval: Approval }> {
  const user = await whoAmI(kube);
  for (let attempt = 0; ; attempt++) {
    const p = await findPromotion(kube, namespace, o.promotion);
    const approval: Approval = {
      environment: o.env,
      digest: waiting(p, o.env),
      decision: o.decision,
      user,
      time: new Date().toISOString(),
      ...(o.reason ? { reason: o.reason } : {}),
    };
    const next = { ...p, spec: { ...p.spec, approvals: [...(p.spec.approvals ?? []), approval] } };
    try {
      const promotion = await kube.update<Promotion>(next);
      return { promotion, approval };
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409 && attempt < 4) continue;
      throw err;
    }
  }
}
