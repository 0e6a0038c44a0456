import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { imagesApi } from '../../api/images';
import { cloneApi } from '../../api/clone';
import { Bytes } from '../../components/Bytes';
import { ErrorNotice } from '../../components/ErrorNotice';
import { RelativeTime } from '../../components/RelativeTime';
import { useNodes } from '../../hooks/useNodes';
import { usePageTitle } from '../../hooks/usePageTitle';
import { startRestores, type RestoreOutcome } from '../../lib/restore';
import { NONE } from '../../lib/format';
import { cloneSessionKeys, imageKeys } from '../../state/queryKeys';
import type { Image } from '../../types/image';

/** The golden images that can be restored, and a way to restore one onto several nodes. */
export function ImagesPage() {
  usePageTitle('Images');
  const images = useQuery({ queryKey: imageKeys.list(), queryFn: () => imagesApi.list({ limit: 200 }) });
  const [restoring, setRestoring] = useState<Image | null>(null);
  const list = images.data?.data ?? [];

  return (
    <section>
      <h1>Images</h1>
      <p className="hint">
        Golden images captured by staged clone sessions. A restore creates one session per target node, so
        each target restores on its own.
      </p>
      {images.isPending && <p role="status">Loading images…</p>}
      {images.isError && <ErrorNotice error={images.error} what="images" onRetry={() => void images.refetch()} />}
      {images.isSuccess && list.length === 0 && (
        <p className="empty-state">No images yet — a staged clone session without an image_id captures one.</p>
      )}
      {list.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Images" tabIndex={0}>
          <table className="cards-on-phone">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">Source</th>
                <th scope="col">Backend</th>
                <th scope="col">Ready</th>
                <th scope="col">Digest</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((image) => (
                <tr key={image.id} data-image-id={image.id}>
                  <td data-label="Name">{image.name}</td>
                  <td data-label="Size">
                    <Bytes value={image.size_bytes} />
                  </td>
                  <td data-label="Source">
                    {image.source_node_name ?? NONE} <code>{image.source_device}</code>
                  </td>
                  <td data-label="Backend">
                    {image.backend_name ?? NONE} ({image.backend_type})
                  </td>
                  <td data-label="Ready">
                    <RelativeTime value={image.ready_at} />
                  </td>
                  <td data-label="Digest">
                    <code title={image.digest}>{image.digest.slice(0, 12)}…</code>
                  </td>
                  <td>
                    <button type="button" onClick={() => setRestoring(image)}>
                      Restore…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {restoring && <RestoreForm image={restoring} onClose={() => setRestoring(null)} />}
    </section>
  );
}

/** Picks the target nodes and device, then starts one restore session per node. */
function RestoreForm({ image, onClose }: { image: Image; onClose: () => void }) {
  const nodes = useNodes();
  const queryClient = useQueryClient();
  const [targets, setTargets] = useState<string[]>([]);
  const [device, setDevice] = useState('/dev/sda');
  const restore = useMutation({
    mutationFn: () => startRestores(image.id, targets, device, (request) => cloneApi.create(request)),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: cloneSessionKeys.lists() }),
  });
  const toggle = (id: string) =>
    setTargets((chosen) => (chosen.includes(id) ? chosen.filter((t) => t !== id) : [...chosen, id]));
  const hostname = (id: string) => nodes.data?.data.find((n) => n.id === id)?.hostname ?? id;

  return (
    <form
      className="panel"
      aria-label={`Restore ${image.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        restore.mutate();
      }}
    >
      <h2>Restore {image.name}</h2>
      {nodes.isError && <ErrorNotice error={nodes.error} what="nodes" />}
      <fieldset>
        <legend>Target nodes</legend>
        {(nodes.data?.data ?? []).map((node) => (
          <label key={node.id} className="checkbox">
            <input type="checkbox" checked={targets.includes(node.id)} onChange={() => toggle(node.id)} />{' '}
            {node.hostname}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="restore-device">Target device</label>
        <input id="restore-device" value={device} onChange={(e) => setDevice(e.target.value)} />
      </div>
      <button type="submit" disabled={targets.length === 0 || restore.isPending}>
        Start {targets.length || ''} restore{targets.length === 1 ? '' : 's'}
      </button>{' '}
      <button type="button" onClick={onClose}>
        Close
      </button>
      {restore.data && <Outcomes outcomes={restore.data} hostname={hostname} />}
    </form>
  );
}

function Outcomes({ outcomes, hostname }: { outcomes: RestoreOutcome[]; hostname: (id: string) => string }) {
  return (
    <ul aria-label="Restore sessions">
      {outcomes.map((o) => (
        <li key={o.target}>
          {hostname(o.target)}:{' '}
          {o.ok ? <Link to={`/clone/${o.sessionId}`}>session started</Link> : <span role="alert">refused — {o.reason}</span>}
        </li>
      ))}
    </ul>
  );
}
