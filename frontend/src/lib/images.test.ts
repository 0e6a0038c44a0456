import { describe, expect, it } from 'vitest';
import { cloneSession } from '../testing/cloneSession';
import { capturesInProgress, hasFilters, imageFiltersFrom, isReady } from './images';

describe('capturesInProgress', () => {
  it('keeps staged sessions whose image is still being captured, and only those', () => {
    const staged = { clone_mode: 'staged' as const };
    const sessions = [
      cloneSession({ id: 'pending', ...staged, staging_status: 'pending' }),
      cloneSession({ id: 'uploading', ...staged, status: 'cloning', staging_status: 'uploading' }),
      cloneSession({ id: 'captured', ...staged, status: 'completed', staging_status: 'ready' }),
      cloneSession({ id: 'restore', ...staged, staging_status: 'downloading' }),
      cloneSession({ id: 'failed-capture', ...staged, status: 'failed', staging_status: 'uploading' }),
      cloneSession({ id: 'direct', clone_mode: 'direct', staging_status: null }),
    ];
    expect(capturesInProgress(sessions).map((s) => s.id)).toEqual(['pending', 'uploading']);
  });
});

describe('isReady', () => {
  it('offers restore and delete for a ready image only, whatever else the server may list', () => {
    expect(isReady({ status: 'ready' })).toBe(true);
    expect(isReady({ status: 'cleanup' })).toBe(false);
  });
});

describe('image filters', () => {
  it('are read from the URL, empty when absent', () => {
    const filters = imageFiltersFrom(new URLSearchParams('name=gold&source_node_id=n1'));
    expect(filters).toEqual({ name: 'gold', backend_id: '', source_node_id: 'n1' });
    expect(hasFilters(filters)).toBe(true);
    expect(hasFilters(imageFiltersFrom(new URLSearchParams('offset=20')))).toBe(false);
  });
});
