import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { Field } from '../../components/Field';
import { useQueueOperation } from '../../hooks/useDisks';
import { maxSizeBytes } from '../../lib/diskLayout';
import { refusalReason } from '../../lib/fieldErrors';
import { formatBinaryBytes } from '../../lib/format';
import { PartitionOptions } from './PartitionOptions';
import { parseSize, SIZE_UNITS, type SizeUnit } from '../../lib/partitionOps';
import type { DiskInfo, PartitionInfo } from '../../types/disk';
import { QueueAnswer } from './QueueAnswer';
import { Options } from '../../components/Options';

interface Problems {
  partition?: string;
  size?: string;
  /** The controller's refusal of the whole operation (409), or anything not about one field. */
  form?: string;
  /** The scan the controller judged against: a new scan may change its verdict. */
  scannedAt?: string;
}

/** A 422 names `params.partition` / `params.new_size_bytes`; everything else is about the plan as a whole. */
function problemsFrom(error: unknown): Problems {
  if (error instanceof ApiError && error.status === 422 && error.fields.length > 0) {
    const problems: Problems = {};
    for (const { field, message } of error.fields) {
      if (field.endsWith('partition')) problems.partition = message;
      else if (field.endsWith('new_size_bytes')) problems.size = message;
      else problems.form = `${field}: ${message}`;
    }
    return problems;
  }
  return { form: refusalReason(error) };
}

function limitsHint(disk: DiskInfo, partition: PartitionInfo | undefined): string | undefined {
  if (!partition) return undefined;
  const grow = `can grow to ${formatBinaryBytes(maxSizeBytes(disk, partition))}`;
  const floor = partition.min_size_bytes;
  const shrink =
    floor === null || floor === undefined
      ? `Cannot be shrunk (${[
          partition.filesystem ?? 'no known filesystem',
          partition.used_bytes === null || partition.used_bytes === undefined ? 'used space unknown' : null,
        ]
          .filter(Boolean)
          .join(', ')})`
      : partition.can_shrink
        ? `Can shrink to ${formatBinaryBytes(floor)}`
        : 'Cannot be shrunk (too full to keep the safety margin)';
  return `Now ${formatBinaryBytes(partition.size_bytes)}. ${shrink}; ${grow} (on the last scan, before queued operations).`;
}

/**
 * Queues a resize of one partition. The controller checks it against the last
 * scan and everything queued before it, and its reason for a refusal is shown
 * here as it gives it.
 */
export function ResizeForm({ nodeId, disk }: { nodeId: string; disk: DiskInfo }) {
  const queue = useQueueOperation(nodeId, disk.device);
  const base = useId();
  const partitions = [...disk.partitions].sort((a, b) => a.number - b.number);
  const [chosen, setChosen] = useState<number | null>(null);
  const [size, setSize] = useState('');
  const [unit, setUnit] = useState<SizeUnit>('GiB');
  const [problems, setProblems] = useState<Problems>({});
  const [queuedAs, setQueuedAs] = useState<number | null>(null);

  // The chosen partition, or the first one (also when a new scan no longer lists the chosen one).
  const partition = partitions.find((p) => p.number === chosen) ?? partitions[0];
  if (!partition) return null;

  const refusal = problems.scannedAt === disk.scanned_at ? problems.form : undefined;
  const ids = { partition: `${base}-partition`, size: `${base}-size`, unit: `${base}-unit`, form: `${base}-refusal` };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setQueuedAs(null);
    const parsed = parseSize(size, unit);
    if ('error' in parsed) {
      setProblems({ size: parsed.error, scannedAt: disk.scanned_at });
      return;
    }
    setProblems({});
    try {
      const created = await queue.mutateAsync({
        operation: 'resize',
        params: { partition: partition!.number, new_size_bytes: parsed.bytes },
      });
      setQueuedAs(created.data.sequence);
      setSize('');
    } catch (error) {
      setProblems({ ...problemsFrom(error), scannedAt: disk.scanned_at });
    }
  }

  return (
    <form
      className="resize-form"
      onSubmit={submit}
      noValidate
      aria-label={`Resize a partition of ${disk.device}`}
      aria-describedby={refusal ? ids.form : undefined}
    >
      <div className="inline-fields">
        <Field id={ids.partition} label="Partition" error={problems.partition} hint={limitsHint(disk, partition)}>
          {(control) => (
            <select
              {...control}
              value={partition.number}
              onChange={(event) => {
                setChosen(Number(event.target.value));
                setProblems({});
                setQueuedAs(null);
              }}
            >
              <PartitionOptions partitions={partitions} />
            </select>
          )}
        </Field>
        <Field id={ids.size} label="New size" error={problems.size}>
          {(control) => (
            <span className="size-input">
              <input
                {...control}
                type="text"
                inputMode="decimal"
                autoComplete="off"
                size={10}
                value={size}
                placeholder={(partition.size_bytes / SIZE_UNITS[unit]).toFixed(1)}
                onChange={(event) => {
                  setSize(event.target.value);
                  setProblems((current) => ({ ...current, size: undefined, form: undefined }));
                }}
              />
              <select
                aria-label="Unit of the new size"
                id={ids.unit}
                value={unit}
                onChange={(event) => setUnit(event.target.value as SizeUnit)}
              >
                <Options items={Object.keys(SIZE_UNITS) as SizeUnit[]} />
              </select>
            </span>
          )}
        </Field>
        <div className="field field-submit">
          <button type="submit" className="primary" disabled={queue.isPending}>
            {queue.isPending ? 'Queuing…' : 'Queue resize'}
          </button>
        </div>
      </div>
      <QueueAnswer refusal={refusal} refusalId={ids.form} queuedAs={queuedAs} />
    </form>
  );
}
