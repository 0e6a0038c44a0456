import { Link, useSearchParams } from 'react-router-dom';
import { filterNodes, type NodeSort } from '../../lib/nodeList';
import { activityText } from '../../lib/nodeActivity';
import { useCloneSessions } from '../../hooks/useCloneSessions';
import { CLONE_STATUS_LABELS, isCloneStatus } from '../../types/clone';
import { usePageTitle } from '../../hooks/usePageTitle';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useNodes } from '../../hooks/useNodes';
import { NONE } from '../../lib/format';
import { TableHead } from '../../components/TableHead';

/** The registered bare-metal nodes, each with a way into its disks. */
export function NodesPage() {
  usePageTitle('Nodes');
  const nodes = useNodes();
  // What each node is doing: its unfinished session among the newest ones (the API has no per-node filter).
  const sessions = useCloneSessions({ limit: 200, offset: 0 });
  const statusLabel = (status: string) => (isCloneStatus(status) ? CLONE_STATUS_LABELS[status] : status);
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const sort = (params.get('sort') as NodeSort | null) ?? 'hostname';
  const all = nodes.data?.data ?? [];
  const list = filterNodes(all, search, sort);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  return (
    <section>
      <h1>Nodes</h1>
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor="node-search">Search</label>
          <input id="node-search" type="search" value={search} onChange={(e) => set('q', e.target.value)} placeholder="hostname, MAC, IP" />
        </div>
        <div className="field field-inline">
          <label htmlFor="node-sort">Sort by</label>
          <select id="node-sort" value={sort} onChange={(e) => set('sort', e.target.value)}>
            <option value="hostname">Hostname</option>
            <option value="state">State</option>
            <option value="registered">Newest first</option>
          </select>
        </div>
      </div>
      {nodes.isPending && <p role="status">Loading nodes…</p>}
      {nodes.isError && <ErrorNotice error={nodes.error} what="nodes" onRetry={() => void nodes.refetch()} />}
      {nodes.isSuccess && all.length > 0 && list.length === 0 && <p className="empty-state">No node matches “{search}”.</p>}
      {nodes.isSuccess && all.length === 0 && (
        <p className="empty-state">No nodes yet — nodes register themselves when they boot from PureBoot.</p>
      )}
      {list.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Nodes" tabIndex={0}>
          <table className="cards-on-phone">
            <TableHead columns={['Hostname', 'MAC address', 'IP address', 'Architecture', 'State', 'Activity']} actions />
            <tbody>
              {list.map((node) => (
                <tr key={node.id} data-node-id={node.id}>
                  <td data-label="Hostname">
                    <Link to={`/nodes/${node.id}`}>{node.hostname}</Link>
                  </td>
                  <td data-label="MAC address">
                    <code>{node.mac_address}</code>
                  </td>
                  <td data-label="IP address">{node.ip_address ? <code>{node.ip_address}</code> : NONE}</td>
                  <td data-label="Architecture">{node.arch}</td>
                  <td data-label="State">{node.state}</td>
                  <td data-label="Activity">{activityText(sessions.data?.data ?? [], node.id, statusLabel)}</td>
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
      {nodes.isSuccess && nodes.data.total > all.length && (
        <p className="muted">
          Showing the first {all.length} of {nodes.data.total} nodes.
        </p>
      )}
    </section>
  );
}
