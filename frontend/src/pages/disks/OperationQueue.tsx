import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { RelativeTime } from '../../components/RelativeTime';
import { useApplyOperations, useDiskOperations, useRemoveOperation } from '../../hooks/useDisks';
import { refusalReason } from '../../lib/fieldErrors';
import { describeParams, inRunOrder } from '../../lib/partitionOps';
import {
  isQueued,
  OPERATION_LABELS,
  OPERATION_STAGE_COLORS,
  OPERATION_STAGE_LABELS,
  operationStage,
  type PartitionOperation,
} from '../../types/disk';
import { TableHead } from '../../components/TableHead';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function StageBadge({ operation }: { operation: PartitionOperation }) {
  const stage = operationStage(operation);
  return (
    <span className={`badge badge-${OPERATION_STAGE_COLORS[stage]}`} data-stage={stage}>
      {OPERATION_STAGE_LABELS[stage]}
    </span>
  );
}

/**
 * The partition operations of one disk in run order: queued ones can be
 * removed, and Apply hands them all to the node. Statuses follow the node's
 * reports live (partition.* events).
 */
export function OperationQueue({ nodeId, device }: { nodeId: string; device: string }) {
  const operations = useDiskOperations(nodeId, device);
  const apply = useApplyOperations(nodeId, device);
  const remove = useRemoveOperation(nodeId, device);
  const [asking, setAsking] = useState(false);
  const list = inRunOrder(operations.data?.data ?? []);
  const queued = list.filter(isQueued);
  const removing = remove.isPending ? remove.variables : null;
  const removeFailed = remove.isError ? list.find((operation) => operation.id === remove.variables) : undefined;

  if (operations.isError) return <ErrorNotice error={operations.error} what="the operation queue" onRetry={() => void operations.refetch()} />;

  return (
    <div className="operation-queue">
      {operations.isPending && <p role="status">Loading operations…</p>}
      {operations.isSuccess && list.length === 0 && <p className="muted">No operations for {device} yet.</p>}
      {list.length > 0 && (
        <div className="table-scroll" role="region" aria-label={`Operations on ${device}`} tabIndex={0}>
          <table>
            <TableHead columns={['#', 'Operation', 'Parameters', 'Status', 'Applied']} actions />
            <tbody>
              {list.map((operation) => (
                <tr key={operation.id} data-operation-id={operation.id} data-stage={operationStage(operation)}>
                  <td>{operation.sequence}</td>
                  <td>{OPERATION_LABELS[operation.operation] ?? operation.operation}</td>
                  <td>{describeParams(operation.operation, operation.params)}</td>
                  <td>
                    <StageBadge operation={operation} />
                    {operation.error_message && <p className="field-error">{operation.error_message}</p>}
                  </td>
                  <td className="nowrap">
                    {operation.applied_at ? <RelativeTime value={operation.applied_at} /> : 'not yet'}
                  </td>
                  <td>
                    {isQueued(operation) && (
                      <button
                        type="button"
                        aria-label={`Remove operation ${operation.sequence}`}
                        disabled={removing === operation.id}
                        onClick={() => remove.mutate(operation.id)}
                      >
                        {removing === operation.id ? 'Removing…' : 'Remove'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {remove.isError && (
        <p className="notice notice-error" role="alert">
          Could not remove operation {removeFailed ? `#${removeFailed.sequence}` : ''}: {refusalReason(remove.error)}
        </p>
      )}
      <button type="button" onClick={() => setAsking(true)} disabled={queued.length === 0}>
        {queued.length > 0 ? `Apply ${plural(queued.length, 'operation')} to ${device}` : `Nothing to apply to ${device}`}
      </button>
      {apply.isSuccess && !asking && list.some((op) => ['applied', 'running'].includes(operationStage(op))) && (
        <p role="status" className="muted">
          Handed {plural(apply.data.data.length, 'operation')} to the node; their status updates here as it reports back.
        </p>
      )}
      <ConfirmDialog
        open={asking}
        title={`Apply operations to ${device}?`}
        confirmLabel={`Apply ${plural(queued.length, 'operation')}`}
        busy={apply.isPending}
        error={apply.error ? refusalReason(apply.error) : null}
        onConfirm={async () => {
          try {
            await apply.mutateAsync();
            setAsking(false);
          } catch {
            // shown in the dialog
          }
        }}
        onCancel={() => {
          apply.reset();
          setAsking(false);
        }}
      >
        <p>The node runs these on {device}, in this order, the next time it checks in:</p>
        <ul className="apply-list">
          {queued.map((operation) => (
            <li key={operation.id}>
              #{operation.sequence} {OPERATION_LABELS[operation.operation]}{' '}
              {describeParams(operation.operation, operation.params)}
            </li>
          ))}
        </ul>
        <p>
          <strong>Partition changes can destroy data.</strong> Once applied, operations can no longer be removed.
        </p>
      </ConfirmDialog>
    </div>
  );
}
