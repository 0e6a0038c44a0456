import { describe, expect, it } from 'vitest';
import type { PartitionInfo } from '../types/disk';
import { diskSegments, lastUsableByte, maxSizeBytes, partitionCaption } from './diskLayout';

/** A partition of `size` bytes from `start`; its end is inclusive, as the API reports it. */
function partition(number: number, start: number, size: number, extra: Partial<PartitionInfo> = {}): PartitionInfo {
  return {
    number,
    start_bytes: start,
    end_bytes: start + size - 1,
    size_bytes: size,
    size_human: '',
    type: 'linux',
    filesystem: null,
    label: null,
    flags: [],
    used_bytes: null,
    used_percent: null,
    can_shrink: false,
    min_size_bytes: null,
    mountpoint: null,
    name: null,
    type_id: null,
    uuid: null,
    fs_min_bytes: null,
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

  it('counts the inclusive end byte as part of the partition, not free space', () => {
    const segments = diskSegments({ size_bytes: 1000, partitions: [partition(1, 0, 995), partition(2, 995, 5)] });

    expect(segments.map((s) => s.kind)).toEqual(['partition', 'partition']);
    const free = diskSegments({ size_bytes: 1000, partitions: [partition(1, 0, 400)] }).find((s) => s.kind === 'free');
    expect(free).toMatchObject({ startBytes: 400, sizeBytes: 600 });
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

describe('maxSizeBytes', () => {
  const S = 512;
  const disk = {
    size_bytes: 1000 * S,
    partition_table: 'mbr' as const,
    logical_sector_size: S,
    partitions: [partition(1, 10 * S, 90 * S), partition(2, 100 * S, 300 * S), partition(3, 600 * S, 200 * S)],
  };

  it('grows up to the next partition', () => {
    expect(maxSizeBytes(disk, disk.partitions[1]!)).toBe(500 * S);
  });

  it('grows the last partition up to the end of the disk', () => {
    expect(maxSizeBytes(disk, disk.partitions[2]!)).toBe(400 * S);
  });

  it('never says less than the current size', () => {
    expect(maxSizeBytes(disk, disk.partitions[0]!)).toBe(90 * S);
  });

  it('stops before the backup GPT, 33 sectors of 512 bytes or 5 of 4096', () => {
    expect(maxSizeBytes({ ...disk, partition_table: 'gpt' }, disk.partitions[2]!)).toBe((400 - 33) * S);
    const big = { ...disk, partition_table: 'gpt' as const, logical_sector_size: 4096, size_bytes: 1000 * 4096 };
    expect(lastUsableByte(big)).toBe(995 * 4096 - 1);
  });

  it('counts whole sectors only', () => {
    expect(lastUsableByte({ ...disk, size_bytes: 1000 * S + 100 })).toBe(1000 * S - 1);
  });
});
