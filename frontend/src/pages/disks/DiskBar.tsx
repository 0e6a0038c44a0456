import { diskSegments, partitionCaption } from '../../lib/diskLayout';
import { formatBinaryBytes, formatPercent } from '../../lib/format';
import type { DiskInfo } from '../../types/disk';

/**
 * The disk drawn to scale: one segment per partition (width ∝ its size) with
 * its used share shaded, and the free gaps between. Each segment also says in
 * words what it is, so nothing depends on reading the shapes.
 */
export function DiskBar({ disk }: { disk: DiskInfo }) {
  const segments = diskSegments(disk);
  if (segments.length === 0) return null;

  return (
    <ul className="disk-bar" aria-label={`Partition layout of ${disk.device}`}>
      {segments.map((segment) => {
        if (segment.kind === 'free') {
          const text = `Free space, ${formatBinaryBytes(segment.sizeBytes)}`;
          return (
            <li key={`free-${segment.startBytes}`} className="segment segment-free" style={{ flexBasis: `${segment.percent}%` }} title={text}>
              <span className="segment-text">{text}</span>
            </li>
          );
        }
        const { partition } = segment;
        const used = partition.used_percent;
        const text = `${partitionCaption(partition)}, ${formatBinaryBytes(partition.size_bytes)}${
          used === null || used === undefined ? '' : `, ${formatPercent(used)} used`
        }`;
        return (
          <li
            key={`part-${partition.number}`}
            className={`segment segment-${partition.type} segment-fs-${partition.filesystem ?? 'none'}`}
            style={{ flexBasis: `${segment.percent}%` }}
            title={text}
            data-partition={partition.number}
          >
            {used !== null && used !== undefined && (
              <span className="segment-used" style={{ width: `${Math.min(100, Math.max(0, used))}%` }} aria-hidden="true" />
            )}
            <span className="segment-text">{text}</span>
          </li>
        );
      })}
    </ul>
  );
}
