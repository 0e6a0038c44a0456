import { useState } from 'react';
import { isNotFound } from '../../api/client';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useApplyOperations, useDiskOperations } from '../../hooks/useDisks';
import { humanizeIdentifier } from '../../lib/format';

/** The partition operations queued for one disk, in run order, and the button that runs them. */
export function OperationQueue({ nodeId, device }: { nodeId: string; device: string }) {
  const operations = useDiskOperations(nodeId, device);
  const apply = useApplyOperations(nodeId, device);
  const [asking, setAsking] = useState(false);
  const list = [...(operations.data?.data ?? [])].sort((a, b) => a.sequence - b.sequence);
  const pending = list.filter((operation) => operation.status === 'pending');

  if (operations.isError) {
    return isNotFound(operations.error) ? (
      <p className="muted">Partition operations are not available from this controller yet.</p>
    ) : (
      <ErrorNotice error={operations.error} what="the operation queue" />
    );
  }

  return (
    <div className="operation-queue">
      <h4>Queued operations</h4>
      {operations.isPending && <p role="status">Loading operations…</p>}
      {operations.isSuccess && list.length === 0 && <p className="muted">Nothing queued for {device}.</p>}
      {list.length > 0 && (
        <ol>
          {list.map((operation) => (
            <li key={operation.id}>
              <strong>{humanizeIdentifier(operation.operation)}</strong> <code>{JSON.stringify(operation.params)}</code>{' '}
              <span className="muted">({operation.status})</span>
              {operation.error_message && <span className="field-error"> {operation.error_message}</span>}
            </li>
          ))}
        </ol>
      )}
      <button type="button" onClick={() => setAsking(true)} disabled={pending.length === 0}>
        Apply {pending.length > 0 ? `${pending.length} ` : ''}
        {pending.length === 1 ? 'operation' : 'operations'} to {device}
      </button>
      {apply.isSuccess && <p role="status">Sent to the node; progress appears here as it reports back.</p>}
      <ConfirmDialog
        open={asking}
        title={`Apply operations to ${device}?`}
        confirmLabel="Apply"
        busy={apply.isPending}
        error={apply.error?.message}
        onConfirm={async () => {
          try {
            await apply.mutateAsync();
            setAsking(false);
          } catch {
            // shown in the dialog
          }
        }}
        onCancel={() => setAsking(false)}
      >
        <p>
          The node runs {pending.length} queued operation{pending.length === 1 ? '' : 's'} on {device} in order. Partition changes
          can destroy data.
        </p>
      </ConfirmDialog>
    </div>
  );
}
