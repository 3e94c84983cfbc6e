/**
 * `sluice convert -f FILE|-`: Argo Rollouts and Argo CD manifests rewritten for Sluice
 * (src/convert). The converted manifests go to stdout; what could not be mapped goes to stderr,
 * object by object and field by field. Exit 0 when everything mapped, 1 when something did
 * not (the output is complete all the same), 2 when the input cannot be read.
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { Command, Option } from 'commander';
import { convertManifests, UnreadableInputError, type Issue } from '../convert/index.ts';
import { paint, useColor } from './context.ts';

const LABELS: Record<Issue['kind'], string> = {
  unsupported: 'not supported',
  'unknown-field': 'unknown field',
  schema: 'invalid',
  changed: 'note',
};

async function readInput(file: string): Promise<string> {
  try {
    return file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UnreadableInputError(`cannot read ${file === '-' ? 'stdin' : file}: ${why}`);
  }
}

/** The issues, grouped by object, as people read them. */
export function formatIssues(issues: readonly Issue[], color = useColor(process.stderr)): string {
  const label = (i: Issue): string =>
    i.kind === 'changed'
      ? LABELS[i.kind].padEnd(13)
      : paint(i.kind === 'unsupported' ? 31 : 33, LABELS[i.kind].padEnd(13), color);
  const byObject = new Map<string, Issue[]>();
  for (const i of issues) byObject.set(i.object, [...(byObject.get(i.object) ?? []), i]);
  return [...byObject]
    .map(([object, list]) =>
      [
        paint(1, object, color),
        ...list.map((i) => `  ${label(i)} ${i.path ? `${i.path}: ` : ''}${i.message}`),
      ].join('\n'),
    )
    .join('\n');
}

function summary(converted: Record<string, number>, issues: readonly Issue[]): string {
  const kinds = Object.entries(converted).map(([k, n]) => `${n} ${k}`);
  const total = Object.values(converted).reduce((a, b) => a + b, 0);
  const failures = issues.filter((i) => i.kind !== 'changed').length;
  const head = `converted ${total} object${total === 1 ? '' : 's'}${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
  return failures === 0
    ? `• ${head}; everything mapped\n`
    : `• ${head}; ${failures} finding${failures === 1 ? '' : 's'} above could not be mapped (exit 1)\n`;
}

export function convertCommand(): Command {
  return new Command('convert')
    .description(
      'rewrite Argo Rollouts (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun) and Argo CD (Application) manifests from argoproj.io/v1alpha1 to sluice.dev/v1alpha1, and say what could not be mapped',
    )
    .requiredOption(
      '-f, --filename <file>',
      'the manifests (YAML, several documents allowed); - reads stdin',
    )
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['yaml', 'json'])
        .default('yaml'),
    )
    .addHelpText(
      'after',
      `
Documents come out in the order they came in; other objects (Services, Ingresses, ...) pass
unchanged. Comments are kept, except on the fields that are rewritten (those may be lost).
Live objects (\`kubectl get -o yaml\`) lose their status and server-set metadata.

Mapped: apiVersion; an Application's single-entry \`sources\` -> \`source\`,
\`helm.valuesObject\` -> \`helm.values\`, namespace argocd -> sluice-system.
Named on stderr, per object and field path (the field is kept as written):
  Rollout: experiment and setMirrorRoute steps; traffic routers other than nginx and the
    argoproj-labs/gatewayAPI plugin (istio, alb, smi, ambassador, appMesh, traefik, apisix)
  Analysis: providers other than prometheus, web and job (datadog, newRelic, wavefront,
    kayenta, cloudWatch, graphite, influxdb, skywalking, plugins)
  Application: several sources, Helm-repository charts, plugins, projects other than default,
    managedNamespaceMetadata, sync options Sluice ignores
  Any field Sluice's schema lacks, and values it rejects (checked against Sluice's CRD schemas).

Exit codes: 0 everything mapped, 1 something could not be (the output is still written),
2 the input cannot be read.
Examples:
  sluice convert -f rollout.yaml > rollout.sluice.yaml
  kubectl get rollout checkout -n shop -o yaml | sluice convert -f - | kubectl apply -f -`,
    )
    .action(async (o: { filename: string; output: 'yaml' | 'json' }) => {
      const result = convertManifests(await readInput(o.filename));
      const { objects } = result;
      if (o.output === 'json') {
        const data =
          objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
        process.stdout.write(JSON.stringify(data, null, 2) + '\n');
      } else process.stdout.write(result.yaml);
      if (result.issues.length > 0) process.stderr.write(formatIssues(result.issues) + '\n');
      process.stderr.write(summary(result.converted, result.issues));
      if (result.failed) process.exitCode = 1;
    });
}
