import { RelativeTime } from '../../components/RelativeTime';
import { formatBytes, NONE } from '../../lib/format';
import type { DiskInfo } from '../../types/disk';
import { DiskBar } from './DiskBar';
import { OperationQueue } from './OperationQueue';
import { PartitionTable } from './PartitionTable';

/** One disk: its facts, its layout to scale, its partitions and its operation queue. */
export function DiskCard({ nodeId, disk }: { nodeId: string; disk: DiskInfo }) {
  const headingId = `disk-${disk.device.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <section className="card" aria-labelledby={headingId} data-device={disk.device}>
      <h3 id={headingId}>
        <code>{disk.device}</code> — {disk.size_human || formatBytes(disk.size_bytes)}
      </h3>
      <p className="muted">
        {disk.model ?? 'Unknown model'}
        {disk.serial ? `, serial ${disk.serial}` : ''} · partition table {disk.partition_table ?? NONE} · scanned{' '}
        <RelativeTime value={disk.scanned_at} />
      </p>
      <DiskBar disk={disk} />
      <PartitionTable device={disk.device} partitions={disk.partitions ?? []} />
      <OperationQueue nodeId={nodeId} device={disk.device} />
    </section>
  );
}
