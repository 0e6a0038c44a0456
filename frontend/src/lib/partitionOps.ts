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
