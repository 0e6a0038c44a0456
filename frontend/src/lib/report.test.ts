import { describe, expect, it } from 'vitest';
import { groupLabel, successRate, totals } from './report';

const row = {
  group: 'g',
  created: 4,
  started: 3,
  completed: 2,
  failed: 1,
  cancelled: 1,
  bytes_cloned: 10,
  avg_transfer_rate_bps: null,
  p95_transfer_rate_bps: null,
  median_duration_seconds: null,
  p95_duration_seconds: null,
};

describe('successRate', () => {
  it('is the completed share of the sessions that ended', () => {
    expect(successRate(row)).toBe(50);
  });
  it('is unknown, not 0%, when none ended', () => {
    expect(successRate({ completed: 0, failed: 0, cancelled: 0 })).toBeNull();
  });
});

describe('groupLabel', () => {
  it('names node groups by hostname, or by id when the node is gone', () => {
    expect(groupLabel({ group: 'abc', node_id: '12345678-aaaa', hostname: 'rack1' })).toBe('rack1');
    expect(groupLabel({ group: 'abc', node_id: '12345678-aaaa', hostname: null })).toBe('12345678 (removed)');
    expect(groupLabel({ group: '2026-11-25' })).toBe('2026-11-25');
  });
});

describe('totals', () => {
  it('adds every group', () => {
    expect(totals([row, row])).toMatchObject({ created: 8, failed: 2, bytes_cloned: 20 });
  });
});
