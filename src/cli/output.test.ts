import { describe, expect, it } from 'vitest';
import { formatTable } from './output.ts';

describe('formatTable', () => {
  it('aligns columns like kubectl and does not pad the last one', () => {
    const out = formatTable(
      ['NAME', 'STATUS'],
      [
        ['guestbook', 'Synced'],
        ['db', 'OutOfSync'],
      ],
    );
    expect(out).toBe('NAME        STATUS\nguestbook   Synced\ndb          OutOfSync\n');
  });
});
