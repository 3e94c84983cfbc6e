/**
 * What is wrong with a Notification's spec (pure), each problem a sentence naming the field:
 * duplicate or typeless destinations, a webhook or Slack destination without a URL, a bad
 * timeout, templates that do not parse or read fields no event has (with the Sluice name of an
 * Argo CD field when there is one), triggers naming templates or destinations that do not exist,
 * other namespaces selected from outside the controller's namespace. Any problem makes the
 * Notification `Ready=False, reason InvalidSpec` and nothing is sent for it.
 */
import type {
  Notification,
  NotificationDestination,
  NotificationTemplate,
} from '../../api/notification.ts';
import { checkReferences } from './fields.ts';
import { templateNamed } from './match.ts';
import { compile, references, templateStrings, TemplateError } from './template.ts';

/** Argo CD notification fields and what Sluice calls them. */
const ARGO_NAMES: Record<string, string> = {
  '.app.metadata.name': '.app.name',
  '.app.metadata.namespace': '.app.namespace',
  '.app.status.sync.revision': '.revision',
  '.app.status.operationState.syncResult.revision': '.revision',
  '.app.spec.source.repoURL': '.repoURL',
  '.app.status.operationState.message': '.message',
  '.context.argocdUrl': '.context.baseURL',
};

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

function urlProblems(d: NotificationDestination, where: string): string[] {
  const out: string[] = [];
  for (const u of [d.webhook, d.slack]) {
    if (!u) continue;
    if (!u.url && !u.urlSecretRef) out.push(`${where} needs url or urlSecretRef`);
    if (u.url && !/^https?:\/\//.test(u.url)) out.push(`${where}: url must be http(s)`);
  }
  return out;
}

function durationProblems(d: NotificationDestination, where: string): string[] {
  const named: Array<[string, string | undefined]> = [
    ['timeout', d.timeout],
    ['retry.backoff.duration', d.retry?.backoff?.duration],
    ['retry.backoff.maxDuration', d.retry?.backoff?.maxDuration],
  ];
  return named
    .filter(([, v]) => v !== undefined && !DURATION.test(v))
    .map(([field, v]) => `${where}: ${field} "${v}" is not a duration (10s, 1m, 500ms)`);
}

function destinationProblems(d: NotificationDestination, i: number): string[] {
  const where = `destinations[${i}] (${d.name})`;
  const types = [d.webhook, d.slack, d.github, d.gitlab].filter((x) => x !== undefined).length;
  return [
    ...(types === 1
      ? []
      : [`${where} must have exactly one of webhook, slack, github, gitlab (has ${types})`]),
    ...urlProblems(d, where),
    ...durationProblems(d, where),
  ];
}

function referenceProblem(where: string, path: string): string {
  const sluice = ARGO_NAMES[path];
  return `${where}: no event has the field ${path}${sluice ? ` (use ${sluice})` : ''}`;
}

function templateProblems(t: NotificationTemplate, i: number): string[] {
  const where = `templates[${i}] (${t.name})`;
  const strings = [
    t.message,
    t.slack?.text,
    t.commitStatus?.state,
    t.commitStatus?.label,
    t.commitStatus?.description,
    t.commitStatus?.targetURL,
    ...templateStrings(t.webhook?.body),
    ...templateStrings(t.slack?.blocks),
    ...templateStrings(t.slack?.attachments),
  ].filter((s): s is string => s !== undefined);
  const out: string[] = [];
  for (const s of strings) {
    try {
      for (const bad of checkReferences(references(compile(s)))) {
        out.push(referenceProblem(where, bad));
      }
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      out.push(`${where}: ${err.message}`);
    }
  }
  return out;
}

function duplicates(names: readonly string[], what: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of names) {
    if (seen.has(n)) out.push(`${what} "${n}" is defined twice`);
    seen.add(n);
  }
  return out;
}

function triggerProblems(n: Notification): string[] {
  const out: string[] = [];
  const dests = new Set(n.spec.destinations.map((d) => d.name));
  n.spec.triggers.forEach((t, i) => {
    const where = `triggers[${i}]${t.name ? ` (${t.name})` : ''}`;
    for (const s of t.send ?? []) {
      if (!templateNamed(n, s)) out.push(`${where} sends template "${s}", which is not defined`);
    }
    for (const d of t.destinations ?? []) {
      if (!dests.has(d)) out.push(`${where} names destination "${d}", which is not defined`);
    }
  });
  return out;
}

export function validate(n: Notification, controllerNamespace: string): string[] {
  const spec = n.spec;
  const others = (spec.selector?.namespaces ?? []).filter((ns) => ns !== n.metadata.namespace);
  return [
    ...duplicates(
      spec.destinations.map((d) => d.name),
      'destination',
    ),
    ...duplicates(
      (spec.templates ?? []).map((t) => t.name),
      'template',
    ),
    ...spec.destinations.flatMap(destinationProblems),
    ...(spec.templates ?? []).flatMap(templateProblems),
    ...triggerProblems(n),
    ...(others.length > 0 && n.metadata.namespace !== controllerNamespace
      ? [
          `selector.namespaces names ${others.join(', ')}: only Notifications in ${controllerNamespace} may select other namespaces`,
        ]
      : []),
  ];
}
