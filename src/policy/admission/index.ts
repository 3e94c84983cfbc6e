/**
 * Admission: Sluice's validating webhook (HTTPS with its own rotating CA), the decision on an
 * AdmissionReview, the ValidatingWebhookConfiguration that points at it, and the log of results
 * for PolicyReports. Starting it and registering it on a cluster is the controller's job.
 */
export { AuditLog } from './audit-log.ts';
export { issueCa, issueServing, needsRenewal, type IssuedCa, type KeyPairPem } from './certs.ts';
export { decide, readReview, type AdmissionRequest, type AdmissionReview } from './review.ts';
export { AdmissionServer, type AdmissionServerOptions, type RotationEvent } from './server.ts';
export {
  applyWebhookConfiguration,
  DEFAULT_EXEMPT_NAMESPACES,
  policyKinds,
  unknownKinds,
  webhookConfiguration,
  type WebhookSettings,
} from './webhook-config.ts';
