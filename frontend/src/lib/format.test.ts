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

type Format = (value: number | null | undefined) => string;

/** Each one-value formatter: its rules, each with inputs and what they print. */
const FORMATS: [name: string, format: Format, rules: [rule: string, cases: [number | null | undefined, string][]][]][] = [
  [
    'formatBytes',
    formatBytes,
    [
      [
        'keeps small sizes exact and scales by 1000',
        [
          [0, '0 B'],
          [512, '512 B'],
          [1536, '1.5 KiB'],
          [500_107_862_016, '465.8 GiB'],
          [2 * 1024 ** 4, '2.0 TiB'],
        ],
      ],
      [
        'shows a dash for unknown sizes',
        [
          [null, '—'],
          [undefined, '—'],
          [-1, '—'],
        ],
      ],
    ],
  ],
  [
    'formatBinaryBytes',
    formatBinaryBytes,
    [
      [
        'scales by 1024 with binary unit names',
        [
          [512, '512 B'],
          [536_870_912, '512.0 MiB'],
          [60 * 1024 ** 3, '60.0 GiB'],
          [500_107_862_016, '465.8 GiB'],
          [null, '—'],
        ],
      ],
    ],
  ],
  [
    'formatRate',
    formatRate,
    [
      ['formats bytes per second', [[120_000_000, '114.4 MiB/s']]],
      [
        'shows a dash when nothing moves',
        [
          [0, '—'],
          [null, '—'],
        ],
      ],
    ],
  ],
  [
    'formatPercent',
    formatPercent,
    [
      [
        'clamps and rounds to one decimal',
        [
          [42.04, '42.0%'],
          [100.2, '100.0%'],
          [null, '—'],
        ],
      ],
    ],
  ],
  [
    'formatEta',
    formatEta,
    [
      [
        'pads minutes and seconds',
        [
          [45, '45s'],
          [723, '12m 03s'],
          [7500, '2h 05m'],
          [null, '—'],
        ],
      ],
    ],
  ],
  [
    'formatDuration',
    formatDuration,
    [
      [
        'keeps seconds past an hour',
        [
          [42, '42s'],
          [185, '3m 05s'],
          [3723, '1h 02m 03s'],
        ],
      ],
    ],
  ],
];

describe.each(FORMATS)('%s', (_name, format, rules) => {
  it.each(rules)('%s', (_rule, cases) => {
    for (const [value, printed] of cases) expect(format(value)).toBe(printed);
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
