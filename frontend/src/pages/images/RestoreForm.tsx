import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { cloneApi } from '../../api/clone';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useNodes } from '../../hooks/useNodes';
import { sessionToOpen, startRestores, type RestoreOutcome } from '../../lib/restore';
import { cloneSessionKeys } from '../../state/queryKeys';
import type { Image } from '../../types/image';
import { useOpenCreated } from '../cloneDetail/NodeTokensNotice';

/**
 * Picks the target nodes and device, then starts one restore session per
 * node. One target accepted: its session opens (with the node tokens shown
 * once); several: each one's outcome is listed with a link or the refusal.
 */
export function RestoreForm({ image, onClose }: { image: Image; onClose: () => void }) {
  const nodes = useNodes();
  const queryClient = useQueryClient();
  const openCreated = useOpenCreated();
  const [targets, setTargets] = useState<string[]>([]);
  const [device, setDevice] = useState('/dev/sda');
  const restore = useMutation({
    mutationFn: () => startRestores(image.id, targets, device, (request) => cloneApi.create(request)),
    onSuccess: (outcomes) => {
      const created = sessionToOpen(outcomes);
      if (created) openCreated(created);
    },
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
          {o.ok ? (
            <Link to={`/clone/${o.sessionId}`}>session created</Link>
          ) : (
            <span role="alert">refused — {o.reason}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
