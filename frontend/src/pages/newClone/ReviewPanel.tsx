import { Bytes } from '../../components/Bytes';
import { useCloneSessions } from '../../hooks/useCloneSessions';
import { useNodeDisks } from '../../hooks/useDisks';
import { CLONE_MODE_LABELS, RESIZE_MODE_LABELS } from '../../types/clone';
import type { Node } from '../../types/node';
import type { CloneFormValues } from './cloneForm';
import { reviewWarnings } from './review';

const UNFINISHED = { limit: 200, offset: 0 } as const;

/** The design's review step: what will be copied where, the warnings, and the one button that creates it. */
export function ReviewPanel({
  values,
  nodes,
  busy,
  onConfirm,
  onBack,
}: {
  values: CloneFormValues;
  nodes: Node[];
  busy: boolean;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const direct = values.clone_mode === 'direct';
  const sourceDisks = useNodeDisks(values.source_node_id);
  const targetDisks = useNodeDisks(direct ? values.target_node_id : '');
  const pending = useCloneSessions({ status: 'pending', ...UNFINISHED });
  const ready = useCloneSessions({ status: 'source_ready', ...UNFINISHED });
  const cloning = useCloneSessions({ status: 'cloning', ...UNFINISHED });
  const sourceBytes = sourceDisks.data?.data.find((d) => d.device === values.source_device)?.size_bytes ?? null;
  const targetBytes = targetDisks.data?.data.find((d) => d.device === values.target_device)?.size_bytes ?? null;
  const active = [pending, ready, cloning].flatMap((q) => q.data?.data ?? []);
  const warnings = reviewWarnings(values, { sourceBytes, targetBytes, active });
  const hostname = (id: string) => nodes.find((n) => n.id === id)?.hostname ?? id;

  return (
    <section className="card review" aria-labelledby="review-title">
      <h2 id="review-title">Review the clone</h2>
      <dl className="facts">
        <dt>Mode</dt>
        <dd>{CLONE_MODE_LABELS[values.clone_mode]}</dd>
        <dt>Copy from</dt>
        <DiskFact host={hostname(values.source_node_id)} device={values.source_device} bytes={sourceBytes} />
        {direct && (
          <>
            <dt>Overwrite</dt>
            <DiskFact host={hostname(values.target_node_id)} device={values.target_device} bytes={targetBytes} />
          </>
        )}
        <dt>Resize</dt>
        <dd>{RESIZE_MODE_LABELS[values.resize_mode]}</dd>
      </dl>
      {direct && (
        <p className="notice notice-warning">
          Everything on <code>{values.target_device}</code> of {hostname(values.target_node_id)} will be overwritten.
        </p>
      )}
      {warnings.length > 0 && (
        <ul className="notice notice-error review-warnings" aria-label="Warnings">
          {warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onBack} disabled={busy}>
          Back to edit
        </button>
        <button type="button" className="primary" onClick={onConfirm} disabled={busy}>
          {busy ? 'Creating…' : 'Create clone session'}
        </button>
      </div>
    </section>
  );
}

/** A node's disk: hostname, device, and its size once the scan knows it. */
function DiskFact({ host, device, bytes }: { host: string; device: string; bytes: number | null }) {
  return (
    <dd>
      {host} <code>{device}</code>
      {bytes !== null && (
        <>
          {' '}
          (<Bytes value={bytes} />)
        </>
      )}
    </dd>
  );
}
