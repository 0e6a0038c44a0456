import { describe, expect, it } from 'vitest';
import { blankOperationInput, buildOperation } from './partitionOps';

const input = blankOperationInput(2);
const GIB = 1024 ** 3;

describe('buildOperation', () => {
  it('builds every kind the API takes besides resize', () => {
    expect(buildOperation('create', { ...input, start: '400', size: '10', filesystem: 'ext4', label: ' data ' })).toEqual({
      operation: 'create',
      params: { start_bytes: 400 * GIB, size_bytes: 10 * GIB, type: 'linux', filesystem: 'ext4', label: 'data' },
    });
    expect(buildOperation('delete', input)).toEqual({ operation: 'delete', params: { partition: 2 } });
    expect(buildOperation('format', { ...input, filesystem: 'xfs' })).toEqual({
      operation: 'format',
      params: { partition: 2, filesystem: 'xfs', label: undefined },
    });
    expect(buildOperation('move', { ...input, start: '512', unit: 'MiB' })).toEqual({
      operation: 'move',
      params: { partition: 2, new_start_bytes: 512 * 1024 ** 2 },
    });
    expect(buildOperation('set_flag', { ...input, flag: 'esp', value: false })).toEqual({
      operation: 'set_flag',
      params: { partition: 2, flag: 'esp', value: false },
    });
  });

  it('names the field it cannot use, as the controller would', () => {
    expect(buildOperation('create', { ...input, start: 'x' })).toMatchObject({ field: 'params.start_bytes' });
    expect(buildOperation('create', { ...input, start: '1', size: '' })).toMatchObject({ field: 'params.size_bytes' });
    expect(buildOperation('format', input)).toMatchObject({ field: 'params.filesystem' });
    expect(buildOperation('move', input)).toMatchObject({ field: 'params.new_start_bytes' });
    expect(buildOperation('set_flag', input)).toMatchObject({ field: 'params.flag' });
  });
});
