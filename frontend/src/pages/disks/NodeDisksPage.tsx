import { Link, useParams } from 'react-router-dom';
import { usePageTitle } from '../../hooks/usePageTitle';
import { isNotFound } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { RelativeTime } from '../../components/RelativeTime';
import { useDiskScanStatus, useNodeDisks, useRequestScan } from '../../hooks/useDisks';
import { useNode } from '../../hooks/useNodes';
import { refusalReason } from '../../lib/fieldErrors';
import type { DiskScanStatus } from '../../types/disk';
import { DiskCard } from './DiskCard';

function ScanStatusLine({ status }: { status: DiskScanStatus }) {
  switch (status.status) {
    case 'pending':
      return (
        <>
          Scan requested <RelativeTime value={status.requested_at} />; waiting for the node to report its disks.
        </>
      );
    case 'done':
      return (
        <>
          Last scan reported <RelativeTime value={status.last_scanned_at} />.
        </>
      );
    default:
      return <>The node has not reported its disks yet.</>;
  }
}

/** The partition tool's view of a node: its reported disks. Refreshed by partition.* events. */
export function NodeDisksPage() {
  const { id = '' } = useParams();
  const node = useNode(id);
  const disks = useNodeDisks(id);
  const scanStatus = useDiskScanStatus(id);
  const scan = useRequestScan(id);
  const hostname = node.data?.data.hostname ?? id;
  const list = disks.data?.data ?? [];
  usePageTitle(`Disks of ${hostname}`);
  const unknownNode = isNotFound(node.error) || isNotFound(disks.error);
  const pending = scanStatus.data?.data.status === 'pending';

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/nodes">Nodes</Link> /
      </p>
      <div className="page-heading">
        <h1>Disks of {hostname}</h1>
        <div className="spacer" />
        {!unknownNode && (
          <button type="button" onClick={() => scan.mutate()} disabled={scan.isPending || pending}>
            {scan.isPending ? 'Requesting…' : pending ? 'Scan requested' : 'Request scan'}
          </button>
        )}
      </div>
      {scanStatus.data && (
        <p className="muted" role="status" data-scan-status={scanStatus.data.data.status}>
          <ScanStatusLine status={scanStatus.data.data} />
        </p>
      )}
      {scan.isError && (
        <p className="notice notice-error" role="alert">
          Scan request failed: {refusalReason(scan.error)}
        </p>
      )}
      {unknownNode && <p className="notice notice-error">No node with id {id}.</p>}

      {disks.isPending && <p role="status">Loading disks…</p>}
      {disks.isError && !unknownNode && <ErrorNotice error={disks.error} what="disks" onRetry={() => void disks.refetch()} />}
      {disks.isSuccess && list.length === 0 && (
        <p className="empty-state">No disks reported yet — use Request scan; the node reports back when it next checks in.</p>
      )}
      {list.map((disk) => (
        <DiskCard key={disk.device} nodeId={id} disk={disk} />
      ))}
    </section>
  );
}
