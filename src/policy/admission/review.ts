/**
 * AdmissionReview v1 in, AdmissionReview v1 out (pure). Objects are evaluated against the
 * compiled policies with what the request says (operation, user, old object): an Enforce
 * failure denies with the policies' messages, Audit failures admit with warnings and are
 * handed to the caller to record. A policy object itself (ClusterPolicy / Policy, Sluice's or
 * Kyverno's group) is compiled instead: a policy that cannot work is refused at creation.
 */
import { errorMessage } from '../../errors.ts';
import { isRecord, type KubeObject } from '../../kube/types.ts';
import { compilePolicy, isPolicyObject, type CompiledPolicy } from '../compile.ts';
import { blocks, evaluate } from '../evaluate.ts';
import type { Operation, RuleResult, UserInfo } from '../types.ts';

export interface AdmissionRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: UserInfo;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
}

export interface Decision {
  review: AdmissionReview;
  /** Results of the evaluation (none for a policy check or an admitted-by-default request). */
  results: RuleResult[];
}

export class BadReview extends Error {
  override name = 'BadReview';
}

/** Checks the envelope of a decoded AdmissionReview; throws BadReview when it is not one. */
export function readReview(body: unknown): AdmissionRequest {
  if (!isRecord(body) || body['kind'] !== 'AdmissionReview' || !isRecord(body['request'])) {
    throw new BadReview('expected an admission.k8s.io/v1 AdmissionReview with a request');
  }
  const req = body['request'];
  if (typeof req['uid'] !== 'string' || typeof req['operation'] !== 'string') {
    throw new BadReview('the AdmissionReview request has no uid or operation');
  }
  return req as unknown as AdmissionRequest;
}

const respond = (
  uid: string,
  r: Omit<AdmissionResponse, 'uid'>,
  results: RuleResult[] = [],
): Decision => ({
  review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, ...r } },
  results,
});

const describe = (o: KubeObject): string =>
  [o.kind, o.metadata.namespace, o.metadata.name ?? o.metadata.generateName]
    .filter((x) => x !== undefined && x !== '')
    .join('/');

const line = (r: RuleResult): string =>
  `${r.policy}/${r.rule}: ${r.message}${r.path !== undefined ? ` (at ${r.path})` : ''}`;

/** The object the request is about, with the namespace the request names when it has none. */
function subject(req: AdmissionRequest): KubeObject | undefined {
  const obj = req.object ?? undefined;
  if (obj === undefined || !isRecord(obj)) return undefined;
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  if (metadata.namespace === undefined && req.namespace !== undefined && req.namespace !== '') {
    return { ...obj, metadata: { ...metadata, namespace: req.namespace } };
  }
  return { ...obj, metadata };
}

function checkPolicy(req: AdmissionRequest, obj: KubeObject): Decision {
  try {
    compilePolicy(obj);
    return respond(req.uid, { allowed: true });
  } catch (err) {
    return respond(req.uid, {
      allowed: false,
      status: { code: 400, reason: 'Invalid', message: errorMessage(err) },
    });
  }
}

/**
 * The decision for one request. Deletes, connects and subresources (status, scale) are
 * admitted: validate rules judge objects as they are written.
 */
export function decide(policies: readonly CompiledPolicy[], req: AdmissionRequest): Decision {
  const obj = subject(req);
  const skip =
    req.operation === 'DELETE' || req.operation === 'CONNECT' || (req.subResource ?? '') !== '';
  if (obj === undefined || skip) return respond(req.uid, { allowed: true });
  if (isPolicyObject(obj)) return checkPolicy(req, obj);
  const results = evaluate(policies, obj, {
    operation: req.operation,
    ...(req.userInfo !== undefined ? { userInfo: req.userInfo } : {}),
    ...(req.oldObject !== undefined ? { oldObject: req.oldObject } : {}),
  });
  const denied = results.filter(blocks);
  if (denied.length > 0) {
    return respond(
      req.uid,
      {
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message: `${describe(obj)} was denied by policy:\n${denied.map((r) => `- ${line(r)}`).join('\n')}`,
        },
      },
      results,
    );
  }
  const audit = results.filter((r) => r.result === 'fail' || r.result === 'error');
  return respond(
    req.uid,
    audit.length > 0 ? { allowed: true, warnings: audit.map(line) } : { allowed: true },
    results,
  );
}
