/**
 * The horizontal bar of a disk: its partitions in on-disk order with the free
 * gaps between them, each as a share of the whole disk. Partition ends are
 * inclusive (the partition's last byte), as the API reports them.
 */
import type { DiskInfo, PartitionInfo } from '../types/disk';

export type Segment =
  | { kind: 'partition'; partition: PartitionInfo; percent: number }
  | { kind: 'free'; startBytes: number; sizeBytes: number; percent: number };

/** Gaps smaller than this share of the disk (alignment slack) are not drawn. */
const MIN_FREE_PERCENT = 0.5;

export function diskSegments(disk: Pick<DiskInfo, 'size_bytes' | 'partitions'>): Segment[] {
  const size = disk.size_bytes;
  if (!size || size <= 0) return [];
  const share = (bytes: number) => Math.max(0, (bytes / size) * 100);

  const partitions = [...(disk.partitions ?? [])].sort((a, b) => a.start_bytes - b.start_bytes);
  const segments: Segment[] = [];
  let cursor = 0; // the first byte not yet drawn
  const pushFree = (end: number) => {
    const gap = end - cursor;
    if (share(gap) >= MIN_FREE_PERCENT) {
      segments.push({ kind: 'free', startBytes: cursor, sizeBytes: gap, percent: share(gap) });
    }
  };

  for (const partition of partitions) {
    pushFree(partition.start_bytes);
    segments.push({ kind: 'partition', partition, percent: share(partition.size_bytes) });
    cursor = Math.max(cursor, partition.end_bytes + 1);
  }
  pushFree(size);
  return segments;
}

/** "#2 linux ext4 root" — what a segment says about its partition. */
export function partitionCaption(partition: Pick<PartitionInfo, 'number' | 'type' | 'filesystem' | 'label'>): string {
  return [`#${partition.number}`, partition.type, partition.filesystem, partition.label]
    .filter((part) => part !== null && part !== undefined && part !== '')
    .join(' ');
}

/** The layout facts the usable bounds depend on. */
type Geometry = Pick<DiskInfo, 'size_bytes' | 'partition_table' | 'logical_sector_size'>;

/**
 * The last byte a partition may use, as the controller's plan check computes
 * it (src/domain/disks/geometry.rs): whole logical sectors only, and on GPT
 * not the backup partition entries (16 KiB) and header at the end of the disk
 * (UEFI Specification 2.10, §5.3).
 */
export function lastUsableByte(disk: Geometry): number {
  const sector = disk.logical_sector_size;
  const sectors = Math.floor(disk.size_bytes / sector);
  const reserved = disk.partition_table === 'gpt' ? Math.ceil((128 * 128) / sector) + 1 : 0;
  return (sectors - reserved) * sector - 1;
}

/**
 * The largest size `partition` could grow to on the scanned layout: up to the
 * next partition or the last usable byte (its start stays put), in whole sectors.
 */
export function maxSizeBytes(disk: Geometry & Pick<DiskInfo, 'partitions'>, partition: PartitionInfo): number {
  const next = disk.partitions
    .filter((other) => other.number !== partition.number && other.start_bytes > partition.start_bytes)
    .reduce((limit, other) => Math.min(limit, other.start_bytes), lastUsableByte(disk) + 1);
  const room = next - partition.start_bytes;
  return Math.max(partition.size_bytes, room - (room % disk.logical_sector_size));
}
