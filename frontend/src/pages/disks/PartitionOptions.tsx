import type { PartitionInfo } from '../../types/disk';
import { partitionCaption } from '../../lib/diskLayout';
import { formatBinaryBytes } from '../../lib/format';
import { Options } from '../../components/Options';

/** The `<option>`s of a partition picker: each partition by number, caption and size. */
export function PartitionOptions({ partitions }: { partitions: readonly PartitionInfo[] }) {
  const caption = (p: PartitionInfo) => `${partitionCaption(p)} — ${formatBinaryBytes(p.size_bytes)}`;
  return <Options items={partitions} value={(p) => p.number} label={caption} />;
}
