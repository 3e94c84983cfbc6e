/**
 * What the last scans found, in memory (after Flux's tag database, which it can rebuild): the
 * tags of each ImageRepository and, for newestBuild policies, when each tag's image was built.
 * A new leader has an empty store: every ImageRepository scans again when it starts leading,
 * and policies wait for that scan.
 */

export interface ScanRecord {
  /** The tags after the exclusion list, as listed. */
  tags: string[];
  /** A hash of the sorted tags: changes when the tags do. */
  revision: string;
  scanTime: string;
}

export class TagStore {
  private readonly scans = new Map<string, ScanRecord>();
  private readonly built = new Map<string, Map<string, number>>();

  get(key: string): ScanRecord | undefined {
    return this.scans.get(key);
  }

  set(key: string, record: ScanRecord): void {
    this.scans.set(key, record);
    // Build times of tags that are gone are forgotten.
    const times = this.built.get(key);
    if (times) {
      const present = new Set(record.tags);
      for (const tag of times.keys()) if (!present.has(tag)) times.delete(tag);
    }
  }

  delete(key: string): void {
    this.scans.delete(key);
    this.built.delete(key);
  }

  /** Build times known for the tags of repository `key` (filled by `setBuilt`). */
  builtTimes(key: string): Map<string, number> {
    let times = this.built.get(key);
    if (!times) {
      times = new Map();
      this.built.set(key, times);
    }
    return times;
  }
}
