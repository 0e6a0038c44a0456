/**
 * Partition operations in words, and the resize form's arithmetic, as pure
 * functions. The controller decides what fits (it replays the queue on the
 * last scan); the UI only turns input into bytes and bytes into words.
 */
import type { OperationKind, PartitionOperation } from '../types/disk';
import { formatBinaryBytes } from './format';

export const SIZE_UNITS = { GiB: 1024 ** 3, MiB: 1024 ** 2 } as const;
export type SizeUnit = keyof typeof SIZE_UNITS;

/**
 * "60" GiB → 64424509440 bytes, or the reason the text is not a size. Whole
 * bytes only: the API takes integers.
 */
export function parseSize(text: string, unit: SizeUnit): { bytes: number } | { error: string } {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return { error: 'Enter the new size.' };
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return { error: `Enter a number of ${unit}, such as 60 or 60.5.` };
  const bytes = Math.round(Number(trimmed) * SIZE_UNITS[unit]);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return { error: 'The new size must be more than 0.' };
  return { bytes };
}

function numberParam(params: Record<string, unknown>, key: string): number | null {
  const value = params[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function textParam(params: Record<string, unknown>, key: string): string | null {
  const value = params[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

const bytes = (value: number | null) => (value === null ? '?' : formatBinaryBytes(value));
const partition = (params: Record<string, unknown>) => `partition ${numberParam(params, 'partition') ?? '?'}`;

/** "partition 2 → 60.0 GiB": what an operation's params mean, in a few words. */
export function describeParams(operation: OperationKind, params: Record<string, unknown>): string {
  switch (operation) {
    case 'resize':
      return `${partition(params)} → ${bytes(numberParam(params, 'new_size_bytes'))}`;
    case 'create': {
      const what = [bytes(numberParam(params, 'size_bytes')), textParam(params, 'type'), textParam(params, 'filesystem')]
        .filter(Boolean)
        .join(' ');
      const label = textParam(params, 'label');
      return `${what}${label ? ` “${label}”` : ''} starting at ${bytes(numberParam(params, 'start_bytes'))}`;
    }
    case 'delete':
      return partition(params);
    case 'format': {
      const label = textParam(params, 'label');
      return `${partition(params)} as ${textParam(params, 'filesystem') ?? '?'}${label ? ` “${label}”` : ''}`;
    }
    case 'move':
      return `${partition(params)} to byte ${numberParam(params, 'new_start_bytes') ?? '?'}`;
    case 'set_flag':
      return `${partition(params)}: ${textParam(params, 'flag') ?? '?'} ${params.value === false ? 'off' : 'on'}`;
    default:
      return JSON.stringify(params);
  }
}

/** The operations of a device in run order (sequence), without mutating the cache. */
export function inRunOrder(operations: readonly PartitionOperation[]): PartitionOperation[] {
  return [...operations].sort((a, b) => a.sequence - b.sequence);
}

/** The operations other than resize (which has its own form), in the order the form offers them. */
export const OTHER_KINDS = ['create', 'delete', 'format', 'move', 'set_flag'] as const;
export type OtherKind = (typeof OTHER_KINDS)[number];

/** What the operation form holds, as typed (sizes and offsets in `unit`). */
export interface OperationInput {
  partition: number;
  start: string;
  size: string;
  unit: SizeUnit;
  type: string;
  filesystem: string;
  label: string;
  flag: string;
  value: boolean;
}

/** An empty form aimed at `partition` (sizes in GiB, a Linux partition type, the flag set on). */
export function blankOperationInput(partition: number): OperationInput {
  return { partition, start: '', size: '', unit: 'GiB', type: 'linux', filesystem: '', label: '', flag: '', value: true };
}

/**
 * The API's `{operation, params}` for the form's input, or the field it cannot use and why
 * (named as the controller's 422 would name it, so both show at the same field). Whether the
 * operation fits the disk is the controller's to say.
 */
export function buildOperation(
  kind: OtherKind,
  input: OperationInput,
): { operation: OtherKind; params: Record<string, unknown> } | { field: string; error: string } {
  const label = input.label.trim() || undefined;
  const offset = (text: string, field: string) => {
    const parsed = parseSize(text, input.unit);
    return 'error' in parsed ? { field, error: parsed.error.replace('new size', 'value') } : parsed;
  };
  switch (kind) {
    case 'create': {
      const start = offset(input.start, 'params.start_bytes');
      if ('error' in start) return start;
      const size = offset(input.size, 'params.size_bytes');
      if ('error' in size) return size;
      if (!input.type.trim()) return { field: 'params.type', error: 'Enter the partition type (linux, efi, swap…).' };
      const filesystem = input.filesystem || undefined;
      return {
        operation: kind,
        params: { start_bytes: start.bytes, size_bytes: size.bytes, type: input.type.trim(), filesystem, label },
      };
    }
    case 'delete':
      return { operation: kind, params: { partition: input.partition } };
    case 'format':
      if (!input.filesystem) return { field: 'params.filesystem', error: 'Choose a filesystem.' };
      return { operation: kind, params: { partition: input.partition, filesystem: input.filesystem, label } };
    case 'move': {
      const start = offset(input.start, 'params.new_start_bytes');
      if ('error' in start) return start;
      return { operation: kind, params: { partition: input.partition, new_start_bytes: start.bytes } };
    }
    case 'set_flag':
      if (!input.flag.trim()) return { field: 'params.flag', error: 'Enter a flag (boot, esp, bios_grub, lvm…).' };
      return { operation: kind, params: { partition: input.partition, flag: input.flag.trim(), value: input.value } };
  }
}
