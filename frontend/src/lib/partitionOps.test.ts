import { describe, expect, it } from 'vitest';
import type { PartitionOperation } from '../types/disk';
import { operationStage } from '../types/disk';
import { describeParams, inRunOrder, parseSize } from './partitionOps';

const GIB = 1024 ** 3;

describe('parseSize', () => {
  it('turns GiB and MiB into whole bytes', () => {
    expect(parseSize('60', 'GiB')).toEqual({ bytes: 60 * GIB });
    expect(parseSize(' 60.5 ', 'GiB')).toEqual({ bytes: 60.5 * GIB });
    expect(parseSize('60,5', 'GiB')).toEqual({ bytes: 60.5 * GIB });
    expect(parseSize('512', 'MiB')).toEqual({ bytes: 512 * 1024 * 1024 });
  });

  it('explains what is not a size', () => {
    expect(parseSize('', 'GiB')).toEqual({ error: 'Enter the new size.' });
    expect(parseSize('abc', 'GiB')).toHaveProperty('error');
    expect(parseSize('-5', 'GiB')).toHaveProperty('error');
    expect(parseSize('0', 'GiB')).toEqual({ error: 'The new size must be more than 0.' });
  });
});

describe('describeParams', () => {
  it('says what each kind of operation does', () => {
    expect(describeParams('resize', { partition: 2, new_size_bytes: 60 * GIB })).toBe('partition 2 → 60.0 GiB');
    expect(describeParams('delete', { partition: 3 })).toBe('partition 3');
    expect(describeParams('format', { partition: 2, filesystem: 'ext4', label: 'root' })).toBe('partition 2 as ext4 “root”');
    expect(describeParams('move', { partition: 2, new_start_bytes: 1048576 })).toBe('partition 2 to byte 1048576');
    expect(describeParams('set_flag', { partition: 1, flag: 'boot', value: false })).toBe('partition 1: boot off');
    expect(
      describeParams('create', { start_bytes: 1048576, size_bytes: 10 * GIB, type: 'linux', filesystem: 'ext4', label: 'data' }),
    ).toBe('10.0 GiB linux ext4 “data” starting at 1.0 MiB');
  });

  it('does not break on missing params', () => {
    expect(describeParams('resize', {})).toBe('partition ? → ?');
  });
});

function operation(overrides: Partial<PartitionOperation>): PartitionOperation {
  return {
    id: 'o1',
    node_id: 'n1',
    device: '/dev/sda',
    operation: 'resize',
    params: {},
    sequence: 1,
    status: 'pending',
    created_at: '2026-11-25T17:00:00Z',
    ...overrides,
  };
}

describe('operationStage', () => {
  it('tells a queued operation from an applied one', () => {
    expect(operationStage(operation({ applied_at: null }))).toBe('queued');
    expect(operationStage(operation({ applied_at: '2026-11-25T17:01:00Z' }))).toBe('applied');
    expect(operationStage(operation({ status: 'running', applied_at: '2026-11-25T17:01:00Z' }))).toBe('running');
    expect(operationStage(operation({ status: 'failed' }))).toBe('failed');
  });
});

describe('inRunOrder', () => {
  it('sorts by sequence without touching the input', () => {
    const input = [operation({ id: 'b', sequence: 2 }), operation({ id: 'a', sequence: 1 })];

    expect(inRunOrder(input).map((o) => o.id)).toEqual(['a', 'b']);
    expect(input.map((o) => o.id)).toEqual(['b', 'a']);
  });
});
