/**
 * Crash-loop protection for renders (ADR 0006). Limits and the render workers' capped heaps
 * catch what they can foresee; this catches the rest: a render during which the controller
 * process died (a native crash, the kernel's OOM killer, a bug) twice in a row is quarantined,
 * so one app cannot keep every app unmanaged by killing the controller at each start.
 *
 * The journal is a small JSON file in the controller's cache directory. Before an UNCACHED
 * render starts, its render key (commit, path, options) is written there as "in flight" with
 * this process's PID; when the comparison of what it rendered ends (diffing a huge render is
 * where the controller's own heap is spent), however it ends, the entry is removed. A render
 * served from the render cache writes nothing, so a steady-state reconcile costs no write and no
 * API request. At start, an entry still in flight whose process is gone means that process died
 * during the render: its death count goes up. From one death on, that render runs alone (no
 * other render in flight), so a second death is pinned on it and not on its neighbours; at two,
 * it is quarantined: not rendered again until its key changes (a new commit or a changed
 * spec.source) or the Application's `sluice.dev/quarantine-release` annotation gets a new value.
 *
 * The file survives restarts of the process and of its container (an emptyDir lives as long as
 * the pod); a pod moved to another node, or another replica taking the Lease, starts counting
 * from zero. Writes are a rename of a whole small file, synchronous, so an entry is on disk
 * before the render begins; no fsync: a process crash does not lose the page cache.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Application } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { QUARANTINE_RELEASE_ANNOTATION } from './annotations.ts';

export { QUARANTINE_RELEASE_ANNOTATION };

/** Deaths in a row while in flight that quarantine a render. */
export const QUARANTINE_AFTER = 2;

/** Entries not touched for this long are forgotten (their revision is long gone). */
const FORGET_AFTER_MS = 30 * 24 * 3600 * 1000;

export interface JournalEntry {
  /** The render cache key: commit, app path, options. */
  key: string;
  /** The app (`namespace/name`) that asked for the render. */
  app: string;
  /** The process rendering it now; absent when not in flight. */
  pid?: number;
  /** How many times in a row the controller died while this render was in flight. */
  deaths: number;
  /** Per app: the release annotation's value when the app was told it is quarantined. */
  seen?: Record<string, string>;
  /** Released by the annotation: one more try, alone. Cleared by the next death. */
  retry?: boolean;
  /** Last change, ISO time. */
  at: string;
}

/**
 * The journal as found at start: entries in flight in a process that is gone count one more
 * death; stale entries are dropped.
 *
 * @example afterRestart([{ key: 'k', app: 'a/b', pid: 7, deaths: 1, at }], () => false, now) // deaths: 2
 */
export function afterRestart(
  entries: readonly JournalEntry[],
  alive: (pid: number) => boolean,
  now: Date,
): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const e of entries) {
    if (now.getTime() - Date.parse(e.at) > FORGET_AFTER_MS) continue;
    if (e.pid === undefined || alive(e.pid)) {
      out.push(e);
      continue;
    }
    const { pid: _pid, retry: _retry, ...rest } = e;
    out.push({ ...rest, deaths: e.deaths + 1, at: now.toISOString() });
  }
  return out;
}

/**
 * What to do with a render the cache does not have: render it alongside others, render it
 * alone (it was in flight at a death), refuse it (quarantined), or release it (the app's
 * release annotation changed since it was told).
 */
export function decide(
  entry: JournalEntry | undefined,
  app: string,
  release: string,
): 'render' | 'alone' | 'quarantined' | 'released' {
  if (!entry || entry.deaths === 0) return 'render';
  if (entry.deaths < QUARANTINE_AFTER || entry.retry === true) return 'alone';
  const seen = entry.seen?.[app];
  return seen !== undefined && seen !== release ? 'released' : 'quarantined';
}

/**
 * The Ready condition's message for a quarantined app: what happened and the two ways out.
 *
 * @example quarantineMessage(app, '3f2a9c1...', 2)
 */
export function quarantineMessage(app: Application, sha: string, deaths: number): string {
  const { namespace, name } = app.metadata;
  const path = app.spec.source.path || '/';
  return (
    `quarantined: the controller died ${deaths} times in a row while rendering (or comparing) ` +
    `${path} at ` +
    `${sha.slice(0, 7)}, so it is not rendered again (the other apps carry on; a very large app ` +
    'may need a larger controller heap, SLUICE_CONTROLLER_HEAP_MB). Commit a fix ' +
    '(or change spec.source) to render the new revision; to retry this one, give the ' +
    `annotation a new value: kubectl annotate application -n ${namespace} ${name} ` +
    `${QUARANTINE_RELEASE_ANNOTATION}="$(date +%s)" --overwrite`
  );
}

/** Whether a process runs (signal 0 checks without signalling). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // an entry of ours from before a restart
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RenderJournal {
  private readonly file: string;
  private readonly log: Logger;
  private readonly entries = new Map<string, JournalEntry>();
  private running = 0;
  private alone = false;
  private aloneWaiting = 0;
  private waiters: Array<() => void> = [];

  /** Reads the journal (a missing or unreadable file is an empty one) and counts deaths. */
  constructor(file: string, log: Logger = silentLogger, now = new Date()) {
    this.file = file;
    this.log = log;
    let found: JournalEntry[] = [];
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(parsed)) found = parsed as JournalEntry[];
    } catch {
      // no journal yet
    }
    const before = new Set(found.filter((e) => e.pid !== undefined).map((e) => e.key));
    for (const e of afterRestart(found, processAlive, now)) {
      this.entries.set(e.key, e);
      if (before.has(e.key) && e.pid === undefined)
        this.log.warn('the controller died while this app was being rendered or compared', {
          app: e.app,
          render: e.key,
          deathsInARow: e.deaths,
          quarantined: e.deaths >= QUARANTINE_AFTER,
        });
    }
    if (before.size > 0) this.save();
  }

  /** Entries, for tests and status. */
  list(): JournalEntry[] {
    return [...this.entries.values()];
  }

  /**
   * The quarantine entry refusing `key` for `app`, or undefined when it may render. The first
   * time an app is refused, its release annotation's value is remembered; a new value releases
   * it for one more try (alone: one more death quarantines it again, with its count).
   */
  quarantined(app: string, key: string, release = ''): JournalEntry | undefined {
    const entry = this.entries.get(key);
    const decision = decide(entry, app, release);
    if (!entry || decision === 'render' || decision === 'alone') return undefined;
    if (decision === 'released') {
      this.log.info('quarantine released by annotation', { app, render: key });
      this.entries.set(key, { ...entry, retry: true, seen: { ...entry.seen, [app]: release } });
      this.save();
      return undefined;
    }
    if (entry.seen?.[app] === undefined) {
      this.entries.set(key, { ...entry, seen: { ...entry.seen, [app]: release } });
      this.save();
    }
    return entry;
  }

  /**
   * Marks an uncached render in flight (after waiting for the others, when it was in flight at
   * a death) and returns the function that ends it. Call that when the objects are no longer
   * being worked on (the comparison ended), however it ended.
   */
  async begin(app: string, key: string): Promise<() => void> {
    const deaths = this.entries.get(key)?.deaths ?? 0;
    const alone = deaths > 0;
    await this.enter(alone);
    this.entries.set(key, {
      ...this.entries.get(key),
      key,
      app,
      pid: process.pid,
      deaths,
      at: new Date().toISOString(),
    });
    this.save();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.entries.delete(key); // it ended, one way or the other, and we are alive
      this.save();
      this.leave(alone);
    };
  }

  /** Runs `work` between begin and end. */
  async run<T>(app: string, key: string, work: () => Promise<T>): Promise<T> {
    const end = await this.begin(app, key);
    try {
      return await work();
    } finally {
      end();
    }
  }

  private async enter(alone: boolean): Promise<void> {
    if (alone) this.aloneWaiting++;
    while (this.alone || (alone ? this.running > 0 : this.aloneWaiting > 0)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (alone) {
      this.aloneWaiting--;
      this.alone = true;
    }
    this.running++;
  }

  private leave(alone: boolean): void {
    this.running--;
    if (alone) this.alone = false;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(tmp, JSON.stringify(this.list()));
      renameSync(tmp, this.file);
    } catch (err) {
      this.log.warn('cannot write the render journal', {
        file: this.file,
        error: errorMessage(err),
      });
    }
  }
}
