import { Link } from 'react-router-dom';
import { usePageTitle } from '../../hooks/usePageTitle';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useNodes } from '../../hooks/useNodes';
import { NONE } from '../../lib/format';

/** The registered bare-metal nodes, each with a way into its disks. */
export function NodesPage() {
  usePageTitle('Nodes');
  const nodes = useNodes();
  const list = nodes.data?.data ?? [];

  return (
    <section>
      <h1>Nodes</h1>
      {nodes.isPending && <p role="status">Loading nodes…</p>}
      {nodes.isError && <ErrorNotice error={nodes.error} what="nodes" />}
      {nodes.isSuccess && list.length === 0 && (
        <p className="empty-state">No nodes yet — nodes register themselves when they boot from PureBoot.</p>
      )}
      {list.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Nodes" tabIndex={0}>
          <table className="cards-on-phone">
            <thead>
              <tr>
                <th scope="col">Hostname</th>
                <th scope="col">MAC address</th>
                <th scope="col">IP address</th>
                <th scope="col">Architecture</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((node) => (
                <tr key={node.id} data-node-id={node.id}>
                  <td data-label="Hostname">{node.hostname}</td>
                  <td data-label="MAC address">
                    <code>{node.mac_address}</code>
                  </td>
                  <td data-label="IP address">{node.ip_address ? <code>{node.ip_address}</code> : NONE}</td>
                  <td data-label="Architecture">{node.arch}</td>
                  <td data-label="State">{node.state}</td>
                  <td data-label="Actions">
                    <Link to={`/nodes/${node.id}/disks`} aria-label={`Disks of ${node.hostname}`}>
                      Disks
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nodes.isSuccess && nodes.data.total > list.length && (
        <p className="muted">
          Showing the first {list.length} of {nodes.data.total} nodes.
        </p>
      )}
    </section>
  );
}
