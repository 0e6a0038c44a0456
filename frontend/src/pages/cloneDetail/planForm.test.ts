import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { parseAmount, planErrorsFrom, planRequest, rowsFromOperations, unitFor, type PlanRow } from './planForm';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const row = (overrides: Partial<PlanRow> = {}): PlanRow => ({
  operation: 'resize',
  partition: '2',
  amount: '990',
  unit: 'MiB',
  ...overrides,
});

describe('rowsFromOperations', () => {
  it("shows each size in the largest unit that keeps it exact (analyze's suggestion: 990 MiB)", () => {
    const rows = rowsFromOperations([
      { operation: 'resize', params: { partition: 2, new_size_bytes: 1_038_090_240 } },
      { operation: 'move', params: { partition: 3, new_start_bytes: 2 * GIB } },
      { operation: 'resize', params: { partition: 4, new_size_bytes: MIB + 512 } },
    ]);
    expect(rows).toEqual([
      { operation: 'resize', partition: '2', amount: '990', unit: 'MiB' },
      { operation: 'move', partition: '3', amount: '2', unit: 'GiB' },
      { operation: 'resize', partition: '4', amount: String(MIB + 512), unit: 'bytes' },
    ]);
  });

  it('round-trips through planRequest to the same operations', () => {
    const operations = [
      { operation: 'resize' as const, params: { partition: 2, new_size_bytes: 1_038_090_240 } },
      { operation: 'move' as const, params: { partition: 3, new_start_bytes: 1_073_741_824 + 4096 } },
    ];
    expect(planRequest(rowsFromOperations(operations))).toEqual({ body: { source_operations: operations } });
  });

  it('picks MiB for zero (a move to the disk start is still a number to edit)', () => {
    expect(unitFor(0)).toBe('MiB');
  });
});

describe('parseAmount', () => {
  it('turns a number and unit into whole bytes, with a decimal comma too', () => {
    expect(parseAmount('0.5', 'GiB', 'resize')).toEqual({ bytes: 512 * MIB });
    expect(parseAmount(' 1,5 ', 'MiB', 'resize')).toEqual({ bytes: 1.5 * MIB });
    expect(parseAmount('4096', 'bytes', 'move')).toEqual({ bytes: 4096 });
  });

  it('says what is wrong with text that is not an amount', () => {
    expect(parseAmount('', 'MiB', 'resize')).toEqual({ error: 'Enter the new size.' });
    expect(parseAmount('', 'MiB', 'move')).toEqual({ error: 'Enter the new start.' });
    expect(parseAmount('ten', 'GiB', 'resize')).toEqual({ error: 'Enter a number of GiB, such as 990 or 0.5.' });
    expect(parseAmount('1.5', 'bytes', 'resize')).toEqual({ error: 'Enter a whole number of bytes.' });
    expect(parseAmount('99999999999', 'GiB', 'resize')).toEqual({ error: 'The new size is too large.' });
  });
});

describe('planRequest', () => {
  it('builds the PUT body in the order of the rows; no rows clears the plan', () => {
    expect(planRequest([row(), row({ operation: 'move', partition: '3', amount: '1', unit: 'GiB' })])).toEqual({
      body: {
        source_operations: [
          { operation: 'resize', params: { partition: 2, new_size_bytes: 990 * MIB } },
          { operation: 'move', params: { partition: 3, new_start_bytes: GIB } },
        ],
      },
    });
    expect(planRequest([])).toEqual({ body: { source_operations: [] } });
  });

  it('names the row and field of each input that is not a number, and sends nothing', () => {
    expect(planRequest([row(), row({ partition: 'two', amount: '' })])).toEqual({
      errors: {
        rows: { 1: { partition: 'Enter the partition number, such as 2.', amount: 'Enter the new size.' } },
        form: null,
      },
    });
  });

  it("leaves ranges to the server: partition 0 is sent, for the server's 422 to name", () => {
    expect(planRequest([row({ partition: '0' })])).toEqual({
      body: { source_operations: [{ operation: 'resize', params: { partition: 0, new_size_bytes: 990 * MIB } }] },
    });
  });
});

describe('planErrorsFrom', () => {
  it("puts a 422's fields next to the row and field they name", () => {
    const error = new ApiError(
      422,
      {
        error: 'Validation failed',
        fields: [
          { field: 'source_operations[1].params.partition', message: '0 is not a partition number (they start at 1)' },
          { field: 'source_operations[0].params.new_size_bytes', message: 'must be more than 0' },
          { field: 'source_operations[2].operation', message: 'only resize and move' },
          { field: 'source_operations', message: 'too many' },
        ],
      },
      'Unprocessable Entity',
    );
    expect(planErrorsFrom(error)).toEqual({
      rows: {
        0: { amount: 'must be more than 0' },
        1: { partition: '0 is not a partition number (they start at 1)' },
        2: { operation: 'only resize and move' },
      },
      form: 'source_operations: too many',
    });
  });

  it("shows a 409's reason (a rule broken, cannot fit) for the plan as a whole", () => {
    const error = new ApiError(409, { error: 'Conflict', detail: 'cannot fit: 1073759232 > 1073741824 bytes' }, 'x');
    expect(planErrorsFrom(error)).toEqual({ rows: {}, form: 'cannot fit: 1073759232 > 1073741824 bytes' });
  });

  it('falls back to the message of anything that is not an API error', () => {
    expect(planErrorsFrom(new Error('offline'))).toEqual({ rows: {}, form: 'offline' });
  });
});
