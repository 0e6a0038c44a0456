import { Link, useParams } from 'react-router-dom';
import { isNotFound } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useNodeDisks, useRequestScan } from '../../hooks/useDisks';
import { useNode } from '../../hooks/useNodes';
import { DiskCard } from './DiskCard';

/** The partition tool's view of a node: its scanned disks. Refreshed by partition.* events. */
export function NodeDisksPage() {
  const { id = '' } = useParams();
  const node = useNode(id);
  const disks = useNodeDisks(id);
  const scan = useRequestScan(id);
  const hostname = node.data?.data.hostname ?? id;
  const list = disks.data?.data ?? [];
  // A controller without the disk inventory answers 404 for every node: no scan to request either.
  const noDiskApi = disks.isError && isNotFound(disks.error);

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/nodes">Nodes</Link> /
      </p>
      <div className="page-heading">
        <h1>Disks of {hostname}</h1>
        <div className="spacer" />
        {!noDiskApi && (
          <button type="button" onClick={() => scan.mutate()} disabled={scan.isPending}>
            {scan.isPending ? 'Requesting…' : 'Request scan'}
          </button>
        )}
      </div>
      {scan.isSuccess && <p role="status">Scan requested. The disks update when the node reports back.</p>}
      {scan.isError && (
        <p className="notice notice-error" role="alert">
          {isNotFound(scan.error) ? 'This controller cannot request disk scans yet.' : `Scan request failed: ${scan.error.message}`}
        </p>
      )}
      {node.isError && isNotFound(node.error) && <p className="notice notice-error">No node with id {id}.</p>}

      {disks.isPending && <p role="status">Loading disks…</p>}
      {disks.isError &&
        (noDiskApi ? (
          <p className="empty-state">
            This controller does not report disks yet, so there is nothing to show or scan. Clones still work: type the
            device path (such as /dev/sda) in the New clone form.
          </p>
        ) : (
          <ErrorNotice error={disks.error} what="disks" />
        ))}
      {disks.isSuccess && list.length === 0 && (
        <p className="empty-state">No disks reported yet — use Request scan; the node reports back when it next checks in.</p>
      )}
      {list.map((disk) => (
        <DiskCard key={disk.device} nodeId={id} disk={disk} />
      ))}
    </section>
  );
}
