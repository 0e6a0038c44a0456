import { describe, expect, it } from 'vitest';
import {
  etaSeconds,
  formatBinaryBytes,
  formatBytes,
  formatDuration,
  formatEta,
  formatPercent,
  formatRate,
  formatRelative,
  humanizeIdentifier,
} from './format';

describe('formatBytes', () => {
  it('keeps small sizes exact and scales by 1000', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(500_107_862_016)).toBe('465.8 GiB');
    expect(formatBytes(2 * 1024 ** 4)).toBe('2.0 TiB');
  });

  it('shows a dash for unknown sizes', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
  });
});

describe('formatBinaryBytes', () => {
  it('scales by 1024 with binary unit names', () => {
    expect(formatBinaryBytes(512)).toBe('512 B');
    expect(formatBinaryBytes(536_870_912)).toBe('512.0 MiB');
    expect(formatBinaryBytes(60 * 1024 ** 3)).toBe('60.0 GiB');
    expect(formatBinaryBytes(500_107_862_016)).toBe('465.8 GiB');
    expect(formatBinaryBytes(null)).toBe('—');
  });
});

describe('formatRate', () => {
  it('formats bytes per second', () => {
    expect(formatRate(120_000_000)).toBe('114.4 MiB/s');
  });

  it('shows a dash when nothing moves', () => {
    expect(formatRate(0)).toBe('—');
    expect(formatRate(null)).toBe('—');
  });
});

describe('formatPercent', () => {
  it('clamps and rounds to one decimal', () => {
    expect(formatPercent(42.04)).toBe('42.0%');
    expect(formatPercent(100.2)).toBe('100.0%');
    expect(formatPercent(null)).toBe('—');
  });
});

describe('etaSeconds', () => {
  it('divides what is left by the rate', () => {
    expect(etaSeconds(250, 1000, 50)).toBe(15);
  });

  it('is unknown without a rate or a total', () => {
    expect(etaSeconds(250, 1000, 0)).toBeNull();
    expect(etaSeconds(250, null, 50)).toBeNull();
  });

  it('never goes negative', () => {
    expect(etaSeconds(2000, 1000, 50)).toBe(0);
  });
});

describe('formatEta', () => {
  it('pads minutes and seconds', () => {
    expect(formatEta(45)).toBe('45s');
    expect(formatEta(723)).toBe('12m 03s');
    expect(formatEta(7500)).toBe('2h 05m');
    expect(formatEta(null)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('keeps seconds past an hour', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3723)).toBe('1h 02m 03s');
  });
});

describe('formatRelative', () => {
  const now = new Date('2026-11-25T17:00:00Z');

  it('says just now for the last few seconds', () => {
    expect(formatRelative('2026-11-25T16:59:50Z', now)).toBe('just now');
  });

  it('picks the largest fitting unit', () => {
    expect(formatRelative('2026-11-25T16:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-11-26T16:00:00Z', now)).toBe('in 23 hours');
    expect(formatRelative('2026-11-23T17:00:00Z', now)).toBe('2 days ago');
  });

  it('shows a dash for missing or broken dates', () => {
    expect(formatRelative(null, now)).toBe('—');
    expect(formatRelative('not a date', now)).toBe('—');
  });
});

describe('humanizeIdentifier', () => {
  it('reads event types aloud', () => {
    expect(humanizeIdentifier('clone.source_ready')).toBe('Clone source ready');
    expect(humanizeIdentifier('CloneSourceReady')).toBe('Clone source ready');
  });
});
