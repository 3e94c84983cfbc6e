/**
 * The demo's CI (directory `ci/` of the sample repository, Application `ci`): the `hello-ci`
 * Pipeline for the sample web app, written with Tekton v1's field names, delivered by GitOps
 * like every other sample, and run by the pipeline controllers on the real node.
 *
 * ci/source.yaml         the app's sources (images/sample-app) as the ConfigMap `hello-source`:
 *                        the pods on the dev cluster cannot reach this machine's Git repository
 * ci/pipeline.yaml       the Task `checksum` and the Pipeline `hello-ci`:
 *                          fetch ─┬─ test ──┬─ report       (report reads build's digest)
 *                                 └─ build ─┴─ publish      (only with publish=true: `when`)
 *                          finally: summary                 (prints $(tasks.status))
 * ci/runs/hello-ci.yaml  a PipelineRun of it: the sources bound, a fresh volume shared by the
 *                        tasks (sluice-local), the pods on the real node. Not synced (the
 *                        Application reads ci/ only, not its subdirectories).
 * ci/runs/volume.yaml   the same volume for `sluice pipeline start -w
 *                        name=shared,volumeClaimTemplateFile=…` (the demo's controller puts task
 *                        pods on the real node by default: no --pod-template needed)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SAMPLE_APP_SOURCES } from '../devcluster/images/sample-app.ts';

export const CI_APP = 'ci';
export const CI_NAMESPACE = 'ci';
export const CI_PIPELINE = 'hello-ci';
export const CI_SOURCE_CONFIGMAP = 'hello-source';
/** Paths in the sample repository. */
export const CI_PIPELINE_FILE = 'ci/pipeline.yaml';
export const CI_RUN_FILE = 'ci/runs/hello-ci.yaml';
export const CI_VOLUME_FILE = 'ci/runs/volume.yaml';

const BUSYBOX = 'localhost:5000/busybox:latest';
/** The sample app's files the CI checks and packs. */
const SOURCES = ['go.mod', 'main.go', 'server.go', 'metrics.go', 'main_test.go'];

function sourceConfigMap(): string {
  const data = Object.fromEntries(
    SOURCES.map((f) => [f, readFileSync(join(SAMPLE_APP_SOURCES, f), 'utf8')]),
  );
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CI_SOURCE_CONFIGMAP },
    data,
  };
  return `# The hello app's sources (Go), which ci/pipeline.yaml checks out, tests and packs.
# Edit one, commit, and run the pipeline again: the digest changes.
---
${stringify(cm, { blockQuote: 'literal', lineWidth: 0 })}`;
}

const PIPELINE = `# The hello app's CI, with Tekton v1's field names (apiVersion tekton.dev/v1 runs it on Tekton).
# Run it: sluice pipeline start ${CI_PIPELINE} -n ${CI_NAMESPACE} ... (the demo prints the whole command)
---
apiVersion: sluice.dev/v1alpha1
kind: Task
metadata:
  name: checksum
spec:
  description: Packs a directory into a tarball; its digest is a sha256 over the files, in name order.
  params:
    - name: dir
      description: the directory to pack, in the workspace
  workspaces:
    - name: work
  results:
    - name: digest
      description: sha256 over the files (names and contents), as sha256:<hex>
    - name: artifact
      description: the tarball, in the workspace
  steps:
    - name: pack
      image: ${BUSYBOX}
      workingDir: $(workspaces.work.path)
      script: |
        sum=\`cd $(params.dir) && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-64\`
        tar -czf hello.tar.gz $(params.dir)
        printf 'sha256:%s' "$sum" > $(results.digest.path)
        printf hello.tar.gz > $(results.artifact.path)
        echo "packed $(params.dir) into hello.tar.gz (\`wc -c < hello.tar.gz\` bytes): sha256:$sum"
---
apiVersion: sluice.dev/v1alpha1
kind: Pipeline
metadata:
  name: ${CI_PIPELINE}
spec:
  description: Checks out the hello app, tests it, packs it; publishes only when asked.
  params:
    - name: publish
      description: '"true" publishes the artifact'
      default: "false"
  workspaces:
    - name: source
      description: the app's sources (the ${CI_SOURCE_CONFIGMAP} ConfigMap)
    - name: shared
      description: the checkout and the artifact, shared by the tasks
  results:
    - name: digest
      value: $(tasks.build.results.digest)
  tasks:
    - name: fetch
      workspaces: [{ name: source }, { name: out, workspace: shared }]
      taskSpec:
        workspaces: [{ name: source, readOnly: true }, { name: out }]
        steps:
          - name: checkout
            image: ${BUSYBOX}
            script: |
              rm -rf $(workspaces.out.path)/src && mkdir $(workspaces.out.path)/src
              cp -L $(workspaces.source.path)/* $(workspaces.out.path)/src/
              echo "checked out" \`ls $(workspaces.out.path)/src\`
    - name: test
      runAfter: [fetch]
      workspaces: [{ name: src, workspace: shared, subPath: src }]
      taskSpec:
        workspaces: [{ name: src }]
        steps:
          - name: contract
            image: ${BUSYBOX}
            workingDir: $(workspaces.src.path)
            script: |
              # The probes in hello/deployment.yaml and the analysis of canary/ need these routes.
              for route in /healthz /metrics; do
                grep -q "HandleFunc(\\"GET $route\\"" server.go || { echo "no handler for $route"; exit 1; }
                echo "ok   serves $route"
              done
              echo "ok   \`grep -c '^func Test' main_test.go\` Go tests declared (go test runs them where Go is)"
    - name: build
      runAfter: [fetch]
      taskRef: { name: checksum }
      params: [{ name: dir, value: src }]
      workspaces: [{ name: work, workspace: shared }]
    - name: report
      runAfter: [test]
      params:
        - name: digest
          value: $(tasks.build.results.digest)
      taskSpec:
        params: [{ name: digest }]
        steps:
          - name: report
            image: ${BUSYBOX}
            script: |
              echo "hello $(context.pipelineRun.name): tested, built $(params.digest)"
    - name: publish
      runAfter: [test]
      when:
        - input: $(params.publish)
          operator: in
          values: ["true"]
      params:
        - name: artifact
          value: $(tasks.build.results.artifact)
        - name: digest
          value: $(tasks.build.results.digest)
      workspaces: [{ name: out, workspace: shared }]
      taskSpec:
        params: [{ name: artifact }, { name: digest }]
        workspaces: [{ name: out }]
        steps:
          - name: publish
            image: ${BUSYBOX}
            workingDir: $(workspaces.out.path)
            script: |
              # A stand-in for a registry: releases/ in the shared volume.
              mkdir -p releases && cp $(params.artifact) releases/
              echo "published $(params.artifact) ($(params.digest)) to releases/"
  finally:
    - name: summary
      params:
        - name: tasks
          value: $(tasks.status)
        - name: publish
          value: $(tasks.publish.status)
      taskSpec:
        params: [{ name: tasks }, { name: publish }]
        steps:
          - name: summary
            image: ${BUSYBOX}
            script: |
              echo "tasks: $(params.tasks) (publish: $(params.publish))"
`;

/** Pods on the dev cluster's real node: its label, and a toleration of its taint. */

const VOLUME = `spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 16Mi } }
`;

const RUN = `# A run of hello-ci: \`sluice pipeline run -f ${CI_RUN_FILE} -n ${CI_NAMESPACE}\`, or on this machine:
# sluice pipeline run -f ci/ -f ${CI_RUN_FILE} --local
---
apiVersion: sluice.dev/v1alpha1
kind: PipelineRun
metadata:
  generateName: ${CI_PIPELINE}-run-
spec:
  pipelineRef: { name: ${CI_PIPELINE} }
  params:
    - name: publish
      value: "false"
  workspaces:
    - name: source
      configMap: { name: ${CI_SOURCE_CONFIGMAP} }
    - name: shared
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: { requests: { storage: 16Mi } }
  taskRunTemplate:
    # The task pods run on the dev cluster's real node (the others are simulated).
    podTemplate:
      nodeSelector: { sluice.dev/real-node: "true" }
      tolerations: [{ key: sluice.dev/real-node, operator: Exists }]
`;

/** The files of ci/ (read when called: the app's sources are not shipped in Sluice's image). */
export const ciFiles = (): Record<string, string> => ({
  'ci/source.yaml': sourceConfigMap(),
  [CI_PIPELINE_FILE]: PIPELINE,
  [CI_RUN_FILE]: RUN,
  [CI_VOLUME_FILE]: VOLUME,
});
