/**
 * The commit message of a promotion (pure): what it promotes where and why, the source change
 * it carries on (`Source commit:`, `Source commit time:`, as the commit that brought the version
 * into the previous environment named it: DORA's lead time runs from it), and `Sluice-*`
 * trailers naming the Promotion, the environment and the image.
 *
 * @example
 * promotionMessage({ promotion: 'apps/web', repository: 'localhost:5000/web', image: 'localhost:5000/web:1@sha256:…', version: 'sha256:…', from: 'dev', to: 'staging', source: {} });
 */
import { sourceTrailerLines, type SourceChange } from '../dora/trailers.ts';
import { shortVersion } from './imageref.ts';

export interface PromotionCommit {
  /** `namespace/name` of the Promotion. */
  promotion: string;
  /** spec.image: the repository promoted. */
  repository: string;
  /** The full reference written. */
  image: string;
  version: string;
  from: string;
  to: string;
  /** The source change of the version; empty when none was found. */
  source: SourceChange;
}

export function promotionMessage(c: PromotionCommit): string {
  return (
    `promote ${c.repository} ${shortVersion(c.version)} to ${c.to}\n\n` +
    `Promotion ${c.promotion}: ${c.from} runs ${c.image}; its gates passed.\n` +
    sourceTrailerLines(c.source) +
    `Sluice-Promotion: ${c.promotion}\nSluice-Environment: ${c.to}\nSluice-Image: ${c.image}\n`
  );
}
