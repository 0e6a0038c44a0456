/**
 * The resize plan form's logic, as pure functions: the plan's operations
 * (`resize`, `move`, in bytes) as editable rows with units, the rows back
 * into the `PUT …/plan` body, and the server's refusal placed on the row and
 * field it names (`source_operations[i].params.new_size_bytes`). The
 * controller decides what fits (its plan simulator replays the rows on the
 * source's last scan); the form only turns text into bytes.
 */
import { ApiError } from '../../api/client';
import type { ClonePlanUpdate, PlanOperation } from '../../types/clone';

/** Units a size or position is entered in; `bytes` keeps a value that is not whole MiB exact. */
export const PLAN_UNITS = { GiB: 1024 ** 3, MiB: 1024 ** 2, bytes: 1 } as const;
export type PlanUnit = keyof typeof PLAN_UNITS;

/** The operations a plan may hold: they keep the data (a delete or format would destroy what is cloned). */
export type PlanKind = 'resize' | 'move';

/** One operation as typed: `amount` is the new size (resize) or new start (move) in `unit`. */
export interface PlanRow {
  operation: PlanKind;
  partition: string;
  amount: string;
  unit: PlanUnit;
}

/** The fields of a row an error can point at. */
export type RowField = 'operation' | 'partition' | 'amount';

/** Errors by row index and field, and the ones about the plan as a whole. */
export interface PlanErrors {
  rows: Record<number, Partial<Record<RowField, string>>>;
  form: string | null;
}

export const NO_ERRORS: PlanErrors = { rows: {}, form: null };

export function blankRow(partition = ''): PlanRow {
  return { operation: 'resize', partition, amount: '', unit: 'MiB' };
}

/** The largest unit that shows `bytes` exactly (an alignment of 1 MiB is the rule, not a given). */
export function unitFor(bytes: number): PlanUnit {
  if (bytes !== 0 && bytes % PLAN_UNITS.GiB === 0) return 'GiB';
  if (bytes % PLAN_UNITS.MiB === 0) return 'MiB';
  return 'bytes';
}

/** The plan's operations as rows; anything but resize and move (the server never holds one) is left out. */
export function rowsFromOperations(operations: readonly PlanOperation[]): PlanRow[] {
  return operations.flatMap((op): PlanRow[] => {
    if (op.operation !== 'resize' && op.operation !== 'move') return [];
    const bytes = op.operation === 'resize' ? op.params.new_size_bytes : op.params.new_start_bytes;
    const unit = unitFor(bytes);
    const amount = String(bytes / PLAN_UNITS[unit]);
    return [{ operation: op.operation, partition: String(op.params.partition), amount, unit }];
  });
}

/** "990" MiB → 1038090240, or why the text is not an amount. Whole bytes: the API takes integers. */
export function parseAmount(text: string, unit: PlanUnit, kind: PlanKind): { bytes: number } | { error: string } {
  const trimmed = text.trim().replace(',', '.');
  const what = kind === 'resize' ? 'the new size' : 'the new start';
  if (trimmed === '') return { error: `Enter ${what}.` };
  const pattern = unit === 'bytes' ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!pattern.test(trimmed)) {
    const example = unit === 'bytes' ? 'a whole number of bytes' : `a number of ${unit}, such as 990 or 0.5`;
    return { error: `Enter ${example}.` };
  }
  const bytes = Math.round(Number(trimmed) * PLAN_UNITS[unit]);
  if (!Number.isSafeInteger(bytes)) return { error: `${what.charAt(0).toUpperCase()}${what.slice(1)} is too large.` };
  return { bytes };
}

/**
 * The `PUT …/plan` body from the rows, or the errors found before asking.
 * Only what is not a number is caught here; ranges (partition 0, a size
 * under the shrink floor) are the server's to judge, with its own words.
 */
export function planRequest(rows: readonly PlanRow[]): { body: ClonePlanUpdate } | { errors: PlanErrors } {
  const errors: PlanErrors = { rows: {}, form: null };
  const operations: ClonePlanUpdate['source_operations'] = [];
  rows.forEach((row, index) => {
    const rowErrors: Partial<Record<RowField, string>> = {};
    const partition = row.partition.trim();
    if (!/^\d+$/.test(partition)) rowErrors.partition = 'Enter the partition number, such as 2.';
    const amount = parseAmount(row.amount, row.unit, row.operation);
    if ('error' in amount) rowErrors.amount = amount.error;
    if (Object.keys(rowErrors).length > 0) {
      errors.rows[index] = rowErrors;
      return;
    }
    const number = Number(partition);
    const bytes = (amount as { bytes: number }).bytes;
    operations.push(
      row.operation === 'resize'
        ? { operation: 'resize', params: { partition: number, new_size_bytes: bytes } }
        : { operation: 'move', params: { partition: number, new_start_bytes: bytes } },
    );
  });
  return Object.keys(errors.rows).length > 0 ? { errors } : { body: { source_operations: operations } };
}

const FIELD = /^source_operations\[(\d+)\]\.(operation|params(?:\.(\w+))?)$/;

/** Which row field a server field name is about: `params.new_size_bytes` is the amount. */
function rowField(match: RegExpExecArray): RowField {
  if (match[2] === 'operation') return 'operation';
  return match[3] === 'partition' ? 'partition' : 'amount';
}

/**
 * The server's refusal placed on the rows: a 422 names its fields
 * (`source_operations[1].params.partition`); a 409 (the plan breaks a rule,
 * `cannot fit: X > Y bytes`, the session started) is about the plan as a whole.
 */
export function planErrorsFrom(error: unknown): PlanErrors {
  if (!(error instanceof ApiError)) {
    return { rows: {}, form: error instanceof Error ? error.message : String(error) };
  }
  const errors: PlanErrors = { rows: {}, form: null };
  const unplaced: string[] = [];
  for (const { field, message } of error.fields) {
    const match = FIELD.exec(field);
    if (!match) {
      unplaced.push(`${field}: ${message}`);
      continue;
    }
    const index = Number(match[1]);
    const name = rowField(match);
    const row = (errors.rows[index] ??= {});
    row[name] = row[name] ? `${row[name]}; ${message}` : message;
  }
  if (error.fields.length === 0) unplaced.push(error.detail ?? error.message);
  errors.form = unplaced.length > 0 ? unplaced.join('\n') : null;
  return errors;
}
