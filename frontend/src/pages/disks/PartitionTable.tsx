import { type Column, TableHead } from '../../components/TableHead';
import { formatBinaryBytes, formatPercent, NONE } from '../../lib/format';
import type { PartitionInfo } from '../../types/disk';

const PARTITION_COLUMNS: readonly Column[] = [
  '#',
  'Type',
  'Filesystem',
  'Label',
  'Mounted at',
  'Size',
  'Used',
  'Flags',
  'Can shrink',
  { label: 'Minimum size', title: 'Used space plus the safety margin: the smallest size a resize may ask for' },
  { label: 'Shrink minimum (tool)', title: "What the filesystem's own tool on the node says (resize2fs -P, ntfsresize --info)" },
];

const bytesTitle = (bytes: number) => `${bytes.toLocaleString('en')} bytes`;

/** Every partition of a disk with the facts resize planning needs. */
export function PartitionTable({ device, partitions }: { device: string; partitions: PartitionInfo[] }) {
  if (partitions.length === 0) return <p className="muted">No partitions.</p>;
  const sorted = [...partitions].sort((a, b) => a.number - b.number);

  return (
    <div className="table-scroll" role="region" aria-label={`Partitions of ${device}`} tabIndex={0}>
      <table>
        <TableHead columns={PARTITION_COLUMNS} />
        <tbody>
          {sorted.map((partition) => (
            <tr key={partition.number} data-partition={partition.number}>
              <td>{partition.number}</td>
              <td>{partition.type}</td>
              <td>{partition.filesystem ?? NONE}</td>
              <td>{partition.label ?? NONE}</td>
              <td>{partition.mountpoint ? <code>{partition.mountpoint}</code> : NONE}</td>
              <td className="nowrap" title={bytesTitle(partition.size_bytes)}>
                {formatBinaryBytes(partition.size_bytes)}
              </td>
              <td className="nowrap">
                {partition.used_bytes === null || partition.used_bytes === undefined ? (
                  NONE
                ) : (
                  <span title={bytesTitle(partition.used_bytes)}>
                    {formatPercent(partition.used_percent)} ({formatBinaryBytes(partition.used_bytes)})
                  </span>
                )}
              </td>
              <td>{partition.flags.length > 0 ? partition.flags.join(', ') : NONE}</td>
              <td>{partition.can_shrink ? 'yes' : 'no'}</td>
              <td className="nowrap">
                {partition.min_size_bytes === null || partition.min_size_bytes === undefined ? (
                  NONE
                ) : (
                  <span title={bytesTitle(partition.min_size_bytes)}>{formatBinaryBytes(partition.min_size_bytes)}</span>
                )}
              </td>
              <td className="nowrap">
                {partition.fs_min_bytes === null || partition.fs_min_bytes === undefined ? (
                  NONE
                ) : (
                  <span title={bytesTitle(partition.fs_min_bytes)}>{formatBinaryBytes(partition.fs_min_bytes)}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
