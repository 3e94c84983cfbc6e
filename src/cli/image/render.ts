/**
 * Text for `sluice image repository|policy|update list|get`, with the columns `flux get images`
 * users know. Pure: time is passed in.
 */
import type {
  Condition,
  ImagePolicy,
  ImageRepository,
  ImageUpdateAutomation,
} from '../../api/image.ts';
import type { KubeObject } from '../../kube/types.ts';
import { bold, green, red, yellow } from '../context.ts';
import { formatTable } from '../output.ts';
import { age } from '../rollout/render.ts';

export type ImageKind = 'repository' | 'policy' | 'update';

const readyOf = (o: { status?: { conditions?: Condition[] } }): Condition | undefined =>
  o.status?.conditions?.find((c) => c.type === 'Ready');

function readyText(o: KubeObject & { status?: { conditions?: Condition[] } }): string {
  const spec = o['spec'] as { suspend?: boolean } | undefined;
  if (spec?.suspend === true) return yellow('Suspended');
  const r = readyOf(o);
  if (!r) return yellow('Unknown');
  return r.status === 'True'
    ? green('True')
    : r.status === 'False'
      ? red('False')
      : yellow(r.status);
}

const message = (o: { status?: { conditions?: Condition[] } }): string => readyOf(o)?.message ?? '';

type WithConditions = KubeObject & { status?: { conditions?: Condition[] } };

function repositoryRow(r: ImageRepository, now: Date): string[] {
  const scan = r.status?.lastScanResult;
  const tags = scan ? String(scan.tagCount) : '';
  return [
    r.metadata.name ?? '',
    r.spec.image,
    tags,
    age(scan?.scanTime, now),
    readyText(r),
    message(r),
  ];
}

function policyRow(p: ImagePolicy): string[] {
  const ref = p.status?.latestRef;
  return [p.metadata.name ?? '', ref?.image ?? '', ref?.tag ?? '', readyText(p), message(p)];
}

function updateRow(a: ImageUpdateAutomation, now: Date): string[] {
  const s = a.status;
  const commit = (s?.lastPushCommit ?? '').slice(0, 7);
  const run = age(s?.lastAutomationRunTime, now);
  return [a.metadata.name ?? '', run, commit, age(s?.lastPushTime, now), readyText(a), message(a)];
}

function row(kind: ImageKind, o: KubeObject, now: Date): string[] {
  if (kind === 'repository') return repositoryRow(o as ImageRepository, now);
  if (kind === 'policy') return policyRow(o as ImagePolicy);
  return updateRow(o as ImageUpdateAutomation, now);
}

const HEADERS: Record<ImageKind, string[]> = {
  repository: ['NAME', 'IMAGE', 'TAGS', 'LAST SCAN', 'READY', 'MESSAGE'],
  policy: ['NAME', 'IMAGE', 'TAG', 'READY', 'MESSAGE'],
  update: ['NAME', 'LAST RUN', 'LAST PUSH', 'PUSHED', 'READY', 'MESSAGE'],
};

export function renderImageList(
  kind: ImageKind,
  items: readonly KubeObject[],
  allNamespaces: boolean,
  now: Date,
): string {
  const rows = items.map((o) =>
    allNamespaces ? [o.metadata.namespace ?? '', ...row(kind, o, now)] : row(kind, o, now),
  );
  return formatTable(allNamespaces ? ['NAMESPACE', ...HEADERS[kind]] : HEADERS[kind], rows);
}

const field = (label: string, value: string | undefined): string[] =>
  value === undefined || value === '' ? [] : [`${bold(`${label}:`.padEnd(20))}${value}`];

function conditionLines(o: { status?: { conditions?: Condition[] } }, now: Date): string[] {
  return (o.status?.conditions ?? []).map(
    (c) =>
      `  ${c.type}=${c.status}  ${c.reason ?? ''}  ${c.message ?? ''}  (${age(c.lastTransitionTime, now)} ago)`,
  );
}

function repositoryDetails(r: ImageRepository): string[] {
  const scan = r.status?.lastScanResult;
  return [
    ...field('Image', r.spec.image),
    ...field('Canonical name', r.status?.canonicalImageName),
    ...field('Interval', r.spec.interval),
    ...field('Tags', scan ? String(scan.tagCount) : undefined),
    ...field('Latest tags', scan?.latestTags?.join(', ')),
    ...field('Last scan', scan?.scanTime),
  ];
}

const refText = (
  r: { image: string; tag: string; digest?: string } | undefined,
): string | undefined => (r ? `${r.image}:${r.tag}${r.digest ? `@${r.digest}` : ''}` : undefined);

function policyDetails(p: ImagePolicy): string[] {
  const repoRef = p.spec.imageRepositoryRef;
  return [
    ...field('Repository', `${repoRef.namespace ?? p.metadata.namespace ?? ''}/${repoRef.name}`),
    ...field('Policy', JSON.stringify(p.spec.policy)),
    ...field('Filter tags', p.spec.filterTags ? JSON.stringify(p.spec.filterTags) : undefined),
    ...field('Latest', refText(p.status?.latestRef)),
    ...field('Previous', refText(p.status?.observedPreviousRef)),
  ];
}

function sourceText(a: ImageUpdateAutomation): string {
  const src = a.spec.sourceRef;
  return `${src.kind ?? 'GitRepository'}/${src.namespace ?? a.metadata.namespace ?? ''}/${src.name}`;
}

function pushText(a: ImageUpdateAutomation): string | undefined {
  const s = a.status;
  return s?.lastPushCommit ? `${s.lastPushCommit} at ${s.lastPushTime ?? ''}` : undefined;
}

function updateDetails(a: ImageUpdateAutomation): string[] {
  const s = a.status ?? {};
  const policies = Object.entries(s.observedPolicies ?? {});
  return [
    ...field('Source', sourceText(a)),
    ...field('Path', a.spec.update?.path ?? '.'),
    ...field('Push branch', a.spec.git.push?.branch ?? a.spec.git.checkout?.ref.branch),
    ...field('Source revision', s.observedSourceRevision),
    ...field('Last run', s.lastAutomationRunTime),
    ...field('Last push', pushText(a)),
    ...policies.flatMap(([name, ref]) => field(`Policy ${name}`, `${ref.name}:${ref.tag}`)),
  ];
}

function details(kind: ImageKind, o: KubeObject): string[] {
  if (kind === 'repository') return repositoryDetails(o as ImageRepository);
  if (kind === 'policy') return policyDetails(o as ImagePolicy);
  return updateDetails(o as ImageUpdateAutomation);
}

export function renderImage(kind: ImageKind, o: WithConditions, now: Date): string {
  const lines = [
    ...field('Name', o.metadata.name),
    ...field('Namespace', o.metadata.namespace),
    ...details(kind, o),
    `${bold('Status:'.padEnd(20))}${readyText(o)}  ${message(o)}`,
    ...conditionLines(o, now),
  ];
  return `${lines.join('\n')}\n`;
}
