/**
 * Promotion events: `promotion-awaiting-approval` when a step waits for nothing but a person —
 * its candidate is `Waiting` with the approval gate the only one Pending. Key: the environment
 * and the version, so each version waiting at each environment notifies once; time: when the
 * step entered `Waiting`. Details: environment, version, image and the command that approves.
 */
import type { Promotion } from '../../../api/promotion.ts';
import { environmentOf, timeOr } from '../context.ts';
import { defineSource } from '../source.ts';
import type { Detection } from '../types.ts';

function awaiting(p: Promotion, now: Date): Detection[] {
  const out: Detection[] = [];
  for (const env of p.status?.environments ?? []) {
    const c = env.candidate;
    if (c?.phase !== 'Waiting') continue;
    const pending = (c.gates ?? []).filter((g) => g.state === 'Pending');
    if (pending.length !== 1 || pending[0]?.name !== 'approval') continue;
    const time = timeOr(c.since, now);
    out.push({
      type: 'promotion-awaiting-approval',
      key: `${env.name}@${c.version}`,
      time,
      reason: 'AwaitingApproval',
      message: `${p.spec.image} ${c.version} waits for approval to enter ${env.name}`,
      details: {
        environment: env.name,
        version: c.version,
        image: c.image,
        approve: `sluice promote approve ${env.name} --promotion ${p.metadata.name} -n ${p.metadata.namespace}`,
      },
    });
  }
  return out;
}

export const promotions = defineSource<Promotion>({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Promotion',
  resource: 'promotions',
  scope: 'applications',
  types: ['promotion-awaiting-approval'],
  detect: (p, now) => awaiting(p, now),
  context: (p) => ({ environment: environmentOf(p) }),
  slim: (p) => {
    const { managedFields: _m, ...metadata } = p.metadata;
    return { ...p, metadata };
  },
});
