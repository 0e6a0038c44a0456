import { describe, expect, it } from 'vitest';
import { INITIAL_VALUES } from './cloneForm';
import { reviewWarnings } from './review';

const GIB = 1024 ** 3;
const values = { ...INITIAL_VALUES, source_node_id: 'a', target_node_id: 'b' };

describe('reviewWarnings', () => {
  it('warns when the target is smaller than the source without a shrink', () => {
    const [warning] = reviewWarnings(values, { sourceBytes: 500 * GIB, targetBytes: 250 * GIB, active: [] });
    expect(warning).toMatch(/smaller than the source \(250\.0 GiB target, 500\.0 GiB source\) and no shrink/);
    expect(
      reviewWarnings({ ...values, resize_mode: 'shrink_source' }, { sourceBytes: 500 * GIB, targetBytes: 250 * GIB, active: [] })[0],
    ).toMatch(/must shrink to fit/);
  });
  it('warns about busy nodes and about cloning a node onto itself', () => {
    const active = [{ id: 'abcdef123', name: null, source_node_id: 'x', target_node_id: 'b' }];
    expect(reviewWarnings(values, { sourceBytes: null, targetBytes: null, active })).toEqual([
      'The target node is already in an unfinished session (abcdef12).',
    ]);
    expect(reviewWarnings({ ...values, target_node_id: 'a' }, { sourceBytes: null, targetBytes: null, active: [] })).toEqual([
      'The source and the target are the same node.',
    ]);
  });
  it('says nothing when all is well', () => {
    expect(reviewWarnings(values, { sourceBytes: GIB, targetBytes: 2 * GIB, active: [] })).toEqual([]);
  });
});
