import { describe, expect, it } from 'vitest';
import { eventTitle, sameLocalDay, timelineText, groupTimeline, sparklinePoints } from './timeline';

describe('eventTitle', () => {
  it('drops the aggregate of a qualified event type', () => {
    expect(eventTitle('clone_session.source_ready')).toBe('Source ready');
    expect(eventTitle('clone_session.certificate_issued')).toBe('Certificate issued');
  });

  it('humanizes an unqualified type whole', () => {
    expect(eventTitle('progress_reported')).toBe('Progress reported');
    expect(eventTitle('clone_session.')).toBe('Clone session');
  });
});

describe('timelineText', () => {
  it('keeps a summary that says more than the title, capitalized', () => {
    expect(timelineText('clone_session.source_ready', 'source ready at 10.0.0.5:9999, 1.0 KB on /dev/sda')).toEqual({
      title: 'Source ready',
      detail: 'Source ready at 10.0.0.5:9999, 1.0 KB on /dev/sda',
    });
    expect(timelineText('clone_session.completed', 'completed in 0 s').detail).toBe('Completed in 0 s');
  });

  it('drops a summary that only repeats the title', () => {
    expect(timelineText('clone_session.started', 'clone started').detail).toBeNull();
    expect(timelineText('clone_session.cancelled', 'Cancelled.').detail).toBeNull();
    expect(timelineText('clone_session.deleted', '').detail).toBeNull();
    expect(timelineText('clone_session.deleted', null).detail).toBeNull();
  });
});

describe('sameLocalDay', () => {
  it('compares calendar days, not 24-hour spans', () => {
    expect(sameLocalDay(new Date(2026, 10, 25, 0, 0, 1), new Date(2026, 10, 25, 23, 59, 59))).toBe(true);
    expect(sameLocalDay(new Date(2026, 10, 25, 23, 59, 59), new Date(2026, 10, 26, 0, 0, 1))).toBe(false);
  });
});

describe('groupTimeline', () => {
  const entry = (position: number, event_type: string, payload: object = {}) => ({
    position,
    event_type,
    recorded_at: '2026-11-25T17:00:00Z',
    payload,
  });
  it('collapses consecutive progress reports into one row and keeps state changes', () => {
    const items = groupTimeline([
      entry(1, 'clone_session.created'),
      entry(2, 'clone_session.source_ready'),
      ...Array.from({ length: 23 }, (_, i) =>
        entry(3 + i, 'clone_session.progress_reported', { transfer_rate_bps: i * 10, bytes_transferred: i }),
      ),
      entry(30, 'clone_session.completed'),
    ]);
    expect(items.map((item) => item.kind)).toEqual(['event', 'event', 'progress', 'event']);
    const progress = items[2];
    expect(progress?.kind === 'progress' && progress.entries.length).toBe(23);
    expect(progress?.kind === 'progress' && progress.rates.at(-1)).toBe(220);
  });
  it('starts a new run after a state change', () => {
    const items = groupTimeline([
      entry(1, 'clone_session.progress_reported'),
      entry(2, 'clone_session.updated'),
      entry(3, 'clone_session.progress_reported'),
    ]);
    expect(items.map((item) => item.kind)).toEqual(['progress', 'event', 'progress']);
  });
});

describe('sparklinePoints', () => {
  it('scales to the box, the largest value at the top', () => {
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('0.0,20.0 50.0,10.0 100.0,0.0');
    expect(sparklinePoints([], 100, 20)).toBe('');
  });
});
