import { describe, expect, it } from 'vitest';
import type { CloneStatus } from '../types/clone';
import { barTone, formatSilence, stallState, statusMessage } from './stall';

const now = new Date('2026-11-25T17:10:00Z');
const MIN = 60_000;
const cloning = { status: 'cloning' as const, started_at: '2026-11-25T17:00:00Z', created_at: '2026-11-25T16:59:00Z' };

describe('stallState', () => {
  it('counts silence from the last report', () => {
    expect(stallState(cloning, { at: '2026-11-25T17:02:00Z', phase: null }, now, 5 * MIN)).toEqual({
      stalled: true,
      silentMs: 8 * MIN,
    });
    expect(stallState(cloning, { at: '2026-11-25T17:08:00Z', phase: null }, now, 5 * MIN).stalled).toBe(false);
  });
  it('counts from the start when nothing was heard', () => {
    expect(stallState(cloning, { at: null, phase: null }, now, 5 * MIN)).toEqual({ stalled: true, silentMs: 10 * MIN });
  });
  it('never stalls a session that is not expected to report', () => {
    for (const status of ['pending', 'completed', 'failed', 'cancelled'] as const) {
      expect(stallState({ ...cloning, status }, undefined, now, 0).stalled).toBe(false);
    }
  });
});

/** What statusMessage reads of a session: every key is always sent, null when unknown. */
function session(status: CloneStatus, error_message: string | null = null) {
  return { status, error_message, duration_seconds: null };
}

describe('statusMessage', () => {
  const quiet = { stalled: false, silentMs: null };
  it('says why a session failed', () => {
    expect(statusMessage(session('failed', 'disk vanished'), undefined, quiet)).toBe('Failed: disk vanished');
  });
  it('says what a session waits for, or its phase', () => {
    expect(statusMessage(session('pending'), undefined, quiet)).toBe('Waiting for the source node');
    expect(statusMessage(session('cloning'), { at: null, phase: 'verifying' }, quiet)).toBe('Verifying');
    expect(statusMessage(session('cloning'), { at: null, phase: 'resizing' }, quiet)).toBe('Resizing partitions');
  });
  it('puts a stall first', () => {
    expect(statusMessage(session('cloning'), undefined, { stalled: true, silentMs: 8 * MIN })).toBe(
      'Stalled: no report for 8 min',
    );
  });
});

describe('formatSilence and barTone', () => {
  it('reads silences', () => {
    expect(formatSilence(45_000)).toBe('45 s');
    expect(formatSilence(125 * MIN)).toBe('2 h 05 min');
  });
  it('colours bars by state', () => {
    expect(barTone('cloning', false)).toBe('running');
    expect(barTone('cloning', true)).toBe('stalled');
    expect(barTone('failed', false)).toBe('failed');
    expect(barTone('completed', false)).toBe('done');
    expect(barTone('cancelled', false)).toBe('idle');
  });
});
