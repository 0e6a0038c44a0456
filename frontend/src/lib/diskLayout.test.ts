import { describe, expect, it } from 'vitest';
import type { PartitionInfo } from '../types/disk';
import { diskSegments, partitionCaption } from './diskLayout';

function partition(number: number, start: number, size: number, extra: Partial<PartitionInfo> = {}): PartitionInfo {
  return {
    number,
    start_bytes: start,
    end_bytes: start + size,
    size_bytes: size,
    size_human: '',
    type: 'linux',
    flags: [],
    can_shrink: false,
    ...extra,
  };
}

describe('diskSegments', () => {
  it('sizes partitions in proportion to the disk', () => {
    const segments = diskSegments({ size_bytes: 1000, partitions: [partition(1, 0, 250), partition(2, 250, 750)] });

    expect(segments.map((s) => [s.kind, s.percent])).toEqual([
      ['partition', 25],
      ['partition', 75],
    ]);
  });

  it('shows free space between and after partitions, in disk order', () => {
    const segments = diskSegments({ size_bytes: 1000, partitions: [partition(2, 500, 100), partition(1, 0, 200)] });

    expect(segments.map((s) => (s.kind === 'partition' ? `#${s.partition.number}` : `free ${s.percent}`))).toEqual([
      '#1',
      'free 30',
      '#2',
      'free 40',
    ]);
  });

  it('ignores alignment slack', () => {
    const segments = diskSegments({ size_bytes: 100_000, partitions: [partition(1, 100, 99_800)] });

    expect(segments.map((s) => s.kind)).toEqual(['partition']);
  });

  it('draws nothing for a disk of unknown size', () => {
    expect(diskSegments({ size_bytes: 0, partitions: [] })).toEqual([]);
  });
});

describe('partitionCaption', () => {
  it('joins the known facts', () => {
    expect(partitionCaption(partition(2, 0, 1, { filesystem: 'ext4', label: 'root' }))).toBe('#2 linux ext4 root');
    expect(partitionCaption(partition(3, 0, 1, { filesystem: null }))).toBe('#3 linux');
  });
});
