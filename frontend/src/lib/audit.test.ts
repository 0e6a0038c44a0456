import { describe, expect, it } from 'vitest';
import { isoToLocalInput, localInputToIso, streamFilter, streamLink } from './audit';

describe('streamLink', () => {
  it('links sessions and nodes to their pages', () => {
    expect(streamLink('clone_session:6f1c2f44-1111')).toEqual({ to: '/clone/6f1c2f44-1111', label: 'Session 6f1c2f44' });
    expect(streamLink('node:abcdef12-2222')?.to).toBe('/nodes/abcdef12-2222');
  });
  it('links nothing it has no page for', () => {
    expect(streamLink('api_token:x')).toBeNull();
    expect(streamLink('projection')).toBeNull();
  });
});

describe('streamFilter', () => {
  it('prefers the session, the narrower subject', () => {
    expect(streamFilter('n1', 's1')).toBe('clone_session:s1');
    expect(streamFilter('n1', ' ')).toBe('node:n1');
    expect(streamFilter('', '')).toBeUndefined();
  });
});

describe('local time inputs', () => {
  it('round-trips a local wall time through UTC', () => {
    const iso = localInputToIso('2026-11-25T17:05');
    expect(iso).toBe(new Date('2026-11-25T17:05').toISOString());
    expect(isoToLocalInput(iso)).toBe('2026-11-25T17:05');
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('nonsense')).toBeUndefined();
  });
});
