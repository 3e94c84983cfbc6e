/**
 * Which tool renders an app: what spec.source says explicitly (helm, then kustomize, then
 * directory, when more than one is set), else what the app directory holds: Chart.yaml means
 * Helm, a kustomization file means Kustomize, anything else is plain manifests.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplicationSource } from '../api/application.ts';
import { KUSTOMIZATION_FILES } from './kustomize.ts';
import type { RenderTool } from './types.ts';

async function has(dir: string, name: string): Promise<boolean> {
  try {
    await access(join(dir, name));
    return true;
  } catch {
    return false;
  }
}

/** The tool spec.source asks for, if it asks. */
export function explicitTool(source: ApplicationSource): RenderTool | undefined {
  if (source.helm) return 'helm';
  if (source.kustomize) return 'kustomize';
  if (source.directory) return 'directory';
  return undefined;
}

/** The tool for an app directory (a real, absolute path). */
export async function toolFor(source: ApplicationSource, appDir: string): Promise<RenderTool> {
  const explicit = explicitTool(source);
  if (explicit) return explicit;
  if (await has(appDir, 'Chart.yaml')) return 'helm';
  for (const f of KUSTOMIZATION_FILES) if (await has(appDir, f)) return 'kustomize';
  return 'directory';
}
