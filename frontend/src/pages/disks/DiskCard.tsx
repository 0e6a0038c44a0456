import { RelativeTime } from '../../components/RelativeTime';
import { Bytes } from '../../components/Bytes';
import type { DiskInfo } from '../../types/disk';
import { DiskBar } from './DiskBar';
import { OperationQueue } from './OperationQueue';
import { PartitionTable } from './PartitionTable';
import { OperationForm } from './OperationForm';
import { ResizeForm } from './ResizeForm';

const TABLE_NAMES: Record<DiskInfo['partition_table'], string> = { gpt: 'GPT', mbr: 'MBR', unknown: 'unknown' };

/** One disk: its facts, its layout to scale, its partitions, a resize form, a form for every other operation, and its operation queue. */
export function DiskCard({ nodeId, disk }: { nodeId: string; disk: DiskInfo }) {
  const headingId = `disk-${disk.device.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <section className="card" aria-labelledby={headingId} data-device={disk.device}>
      <h2 id={headingId}>
        <code>{disk.device}</code> — <Bytes value={disk.size_bytes} />
      </h2>
      <p className="muted">
        {disk.model ?? 'Unknown model'}
        {disk.serial ? `, serial ${disk.serial}` : ''} · partition table{' '}
        {TABLE_NAMES[disk.partition_table] ?? disk.partition_table} · sectors {disk.logical_sector_size} B logical,{' '}
        {disk.physical_sector_size} B physical · scanned <RelativeTime value={disk.scanned_at} />
      </p>
      <DiskBar disk={disk} />
      <h3>Partitions</h3>
      <PartitionTable device={disk.device} partitions={disk.partitions} />
      {disk.partitions.length > 0 && (
        <>
          <h3>Resize a partition</h3>
          <ResizeForm nodeId={nodeId} disk={disk} />
        </>
      )}
      <h3>Other operations</h3>
      <OperationForm nodeId={nodeId} disk={disk} />
      <h3>Operations</h3>
      <OperationQueue nodeId={nodeId} device={disk.device} />
    </section>
  );
}
