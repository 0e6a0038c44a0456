import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { Field } from '../../components/Field';
import { useQueueOperation } from '../../hooks/useDisks';
import { refusalReason } from '../../lib/fieldErrors';
import { PartitionOptions } from './PartitionOptions';
import {
  blankOperationInput,
  buildOperation,
  OTHER_KINDS,
  SIZE_UNITS,
  type OperationInput,
  type OtherKind,
  type SizeUnit,
} from '../../lib/partitionOps';
import { OPERATION_LABELS, type DiskInfo } from '../../types/disk';
import { QueueAnswer } from './QueueAnswer';
import { Options } from '../../components/Options';

const FILESYSTEMS = ['ext4', 'xfs', 'ntfs', 'btrfs', 'fat32', 'swap'];

/** Field errors by the API's field name (`params.flag`), and the refusal of the whole operation. */
interface Problems {
  fields: Record<string, string>;
  form?: string;
  /** The scan the controller judged against: a new scan may change its verdict. */
  scannedAt?: string;
}

function problemsFrom(error: unknown): Omit<Problems, 'scannedAt'> {
  if (error instanceof ApiError && error.status === 422 && error.fields.length > 0) {
    return { fields: Object.fromEntries(error.fields.map(({ field, message }) => [field, message])) };
  }
  return { fields: {}, form: refusalReason(error) };
}

/**
 * Queues any partition operation other than a resize (create, delete, format, move, set a
 * flag). The controller checks it against the last scan and everything queued before it (its
 * plan check); its answer, queued or refused with the reason, is shown here as it gives it.
 */
export function OperationForm({ nodeId, disk }: { nodeId: string; disk: DiskInfo }) {
  const queue = useQueueOperation(nodeId, disk.device);
  const base = useId();
  const partitions = [...disk.partitions].sort((a, b) => a.number - b.number);
  const [kind, setKind] = useState<OtherKind>('create');
  const [input, setInput] = useState<OperationInput>(() => blankOperationInput(partitions[0]?.number ?? 1));
  const [problems, setProblems] = useState<Problems>({ fields: {} });
  const [queuedAs, setQueuedAs] = useState<number | null>(null);

  const id = (name: string) => `${base}-${name}`;
  const error = (field: string) => problems.fields[`params.${field}`];
  const refusal = problems.scannedAt === disk.scanned_at ? problems.form : undefined;
  const set = (change: Partial<OperationInput>) => {
    setInput((current) => ({ ...current, ...change }));
    setProblems({ fields: {} });
    setQueuedAs(null);
  };
  const onPartition = kind !== 'create';
  const needsStart = kind === 'create' || kind === 'move';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setQueuedAs(null);
    const built = buildOperation(kind, input);
    if ('error' in built) {
      setProblems({ fields: { [built.field]: built.error }, scannedAt: disk.scanned_at });
      return;
    }
    setProblems({ fields: {} });
    try {
      const created = await queue.mutateAsync(built as Parameters<typeof queue.mutateAsync>[0]);
      setQueuedAs(created.data.sequence);
    } catch (failure) {
      setProblems({ ...problemsFrom(failure), scannedAt: disk.scanned_at });
    }
  }

  const unitSelect = (
    <select aria-label="Unit" value={input.unit} onChange={(event) => set({ unit: event.target.value as SizeUnit })}>
      <Options items={Object.keys(SIZE_UNITS) as SizeUnit[]} />
    </select>
  );

  return (
    <form className="resize-form" onSubmit={submit} noValidate aria-label={`Queue an operation on ${disk.device}`}>
      <div className="inline-fields">
        <Field id={id('kind')} label="Operation">
          {(control) => (
            <select
              {...control}
              value={kind}
              onChange={(event) => {
                setKind(event.target.value as OtherKind);
                // A label typed for one operation is not meant for the next.
                setInput((current) => ({ ...current, label: '' }));
                setProblems({ fields: {} });
                setQueuedAs(null);
              }}
            >
              <Options items={OTHER_KINDS} label={(k) => OPERATION_LABELS[k]} />
            </select>
          )}
        </Field>
        {onPartition && (
          <Field id={id('partition')} label="Partition" error={error('partition')}>
            {(control) => (
              <select {...control} value={input.partition} onChange={(event) => set({ partition: Number(event.target.value) })}>
                <PartitionOptions partitions={partitions} />
              </select>
            )}
          </Field>
        )}
        {needsStart && (
          <Field id={id('start')} label={kind === 'move' ? 'New start' : 'Start'} error={error(kind === 'move' ? 'new_start_bytes' : 'start_bytes')}>
            {(control) => (
              <span className="size-input">
                <input {...control} type="text" inputMode="decimal" size={8} value={input.start} onChange={(event) => set({ start: event.target.value })} />
                {unitSelect}
              </span>
            )}
          </Field>
        )}
        {kind === 'create' && (
          <>
            <Field id={id('size')} label={`Size (${input.unit})`} error={error('size_bytes')}>
              {(control) => (
                <input {...control} type="text" inputMode="decimal" size={8} value={input.size} onChange={(event) => set({ size: event.target.value })} />
              )}
            </Field>
            <Field id={id('type')} label="Type" error={error('type')}>
              {(control) => <input {...control} type="text" size={8} value={input.type} onChange={(event) => set({ type: event.target.value })} />}
            </Field>
          </>
        )}
        {(kind === 'create' || kind === 'format') && (
          <>
            <Field id={id('filesystem')} label="Filesystem" error={error('filesystem')}>
              {(control) => (
                <select {...control} value={input.filesystem} onChange={(event) => set({ filesystem: event.target.value })}>
                  <option value="">{kind === 'create' ? 'none' : 'choose…'}</option>
                  <Options items={FILESYSTEMS} />
                </select>
              )}
            </Field>
            <Field id={id('label')} label="Label" error={error('label')}>
              {(control) => <input {...control} type="text" size={10} value={input.label} onChange={(event) => set({ label: event.target.value })} />}
            </Field>
          </>
        )}
        {kind === 'set_flag' && (
          <>
            <Field id={id('flag')} label="Flag" error={error('flag')}>
              {(control) => <input {...control} type="text" size={10} value={input.flag} onChange={(event) => set({ flag: event.target.value })} />}
            </Field>
            <Field id={id('value')} label="Set to">
              {(control) => (
                <select {...control} value={input.value ? 'on' : 'off'} onChange={(event) => set({ value: event.target.value === 'on' })}>
                  <option value="on">on</option>
                  <option value="off">off</option>
                </select>
              )}
            </Field>
          </>
        )}
        <div className="field field-submit">
          <button type="submit" className="primary" disabled={queue.isPending}>
            {queue.isPending ? 'Queuing…' : `Queue ${OPERATION_LABELS[kind].toLowerCase()}`}
          </button>
        </div>
      </div>
      <QueueAnswer refusal={refusal} queuedAs={queuedAs} />
    </form>
  );
}
