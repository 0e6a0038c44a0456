import { describe, expect, it } from 'vitest';
import { eventTitle, sameLocalDay, timelineText } from './timeline';

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
