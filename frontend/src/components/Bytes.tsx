import { exactBytes, formatBytes } from '../lib/format';

/** A size in binary units ("465.8 GiB") with the exact byte count on hover. */
export function Bytes({ value }: { value: number | null | undefined }) {
  return (
    <span className="bytes" title={exactBytes(value)} data-bytes={value ?? undefined}>
      {formatBytes(value)}
    </span>
  );
}
