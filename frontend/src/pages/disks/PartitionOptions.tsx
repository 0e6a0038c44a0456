import type { PartitionInfo } from '../../types/disk';
import { partitionCaption } from '../../lib/diskLayout';
import { formatBinaryBytes } from '../../lib/format';

/** The `<option>`s of a partition picker: each partition by number, caption and size. */
export function PartitionOptions({ partitions }: { partitions: readonly PartitionInfo[] }) {
  return (
    <>
      {partitions.map((p) => (
        <option key={p.number} value={p.number}>
          {partitionCaption(p)} — {formatBinaryBytes(p.size_bytes)}
        </option>
      ))}
    </>
  );
}
