/**
 * Who may approve or reject a promotion, enforced by the API server: a ValidatingAdmissionPolicy
 * (CEL, built into Kubernetes) on Promotions. A change to `spec.approvals` is admitted only when
 * Kubernetes RBAC lets the requester `update` the `promotions/approval` subresource of that
 * Promotion (a Role rule: resources `promotions/approval`, verbs `update`), and every new or
 * changed entry names the requester as the API server authenticated them. Being able to edit a
 * Promotion is not enough to approve it, and nobody can approve in someone else's name.
 * Installed with the CRDs (`sluice install-crds`, deploy/crds, the Helm chart).
 */
import type { KubeObject } from '../kube/types.ts';
import { APPROVAL_SUBRESOURCE } from './promotion.ts';

export const APPROVAL_POLICY_NAME = 'sluice-promotion-approvals';

const API = 'admissionregistration.k8s.io/v1';
const labels = { 'app.kubernetes.io/part-of': 'sluice' };
// Kept on `helm uninstall` with the CRDs (crds.keep): Promotions outlive the release, and so must
// the rule on who approves them.
const annotations = {
  'sluice.dev/about': 'who may approve a Promotion (RBAC: promotions/approval)',
};

const allowed =
  `authorizer.group('sluice.dev').resource('promotions').subresource('${APPROVAL_SUBRESOURCE}')` +
  `.namespace(object.metadata.namespace).name(object.metadata.name).check('update').allowed()`;

export function approvalPolicy(): KubeObject[] {
  return [
    {
      apiVersion: API,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: APPROVAL_POLICY_NAME, labels, annotations },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['sluice.dev'],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['promotions'],
            },
          ],
        },
        variables: [
          {
            name: 'before',
            expression:
              "request.operation == 'UPDATE' && has(oldObject.spec.approvals) ? oldObject.spec.approvals : []",
          },
          {
            name: 'after',
            expression: 'has(object.spec.approvals) ? object.spec.approvals : []',
          },
        ],
        validations: [
          {
            expression: `variables.before == variables.after || ${allowed}`,
            messageExpression:
              "'Promotion ' + object.metadata.namespace + '/' + object.metadata.name + ': ' + " +
              "request.userInfo.username + ' may not approve or reject (RBAC: update on " +
              `promotions/${APPROVAL_SUBRESOURCE} in namespace ' + object.metadata.namespace + ' is needed)'`,
            reason: 'Forbidden',
          },
          {
            expression:
              'variables.after.all(a, variables.before.exists(b, b == a) || a.user == request.userInfo.username)',
            messageExpression:
              "'Promotion ' + object.metadata.namespace + '/' + object.metadata.name + ': an approval " +
              "must name its author (user: ' + request.userInfo.username + ')'",
            reason: 'Forbidden',
          },
        ],
      },
    },
    {
      apiVersion: API,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: APPROVAL_POLICY_NAME, labels, annotations },
      spec: { policyName: APPROVAL_POLICY_NAME, validationActions: ['Deny'] },
    },
  ];
}
