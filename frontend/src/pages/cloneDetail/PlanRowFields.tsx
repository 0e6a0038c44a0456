import { Field } from '../../components/Field';
import { PLAN_UNITS, type PlanRow, type PlanUnit, type RowField } from './planForm';

interface PlanRowFieldsProps {
  index: number;
  row: PlanRow;
  errors: Partial<Record<RowField, string>>;
  onChange: (patch: Partial<PlanRow>) => void;
  onRemove: () => void;
}

/**
 * One operation of the plan: what, which partition, the new size or start
 * with its unit; each error under its field (`plan-<row>-<field>-error`).
 */
export function PlanRowFields({ index, row, errors, onChange, onRemove }: PlanRowFieldsProps) {
  const n = index + 1;
  const id = (field: RowField) => `plan-${index}-${field}`;
  return (
    <fieldset className="plan-row" data-plan-row={index}>
      <legend>Operation {n}</legend>
      <Field id={id('operation')} label="Operation" error={errors.operation}>
        {(control) => (
          <select
            {...control}
            value={row.operation}
            onChange={(e) => onChange({ operation: e.target.value as PlanRow['operation'] })}
          >
            <option value="resize">resize</option>
            <option value="move">move</option>
          </select>
        )}
      </Field>
      <Field id={id('partition')} label="Partition" error={errors.partition}>
        {(control) => (
          <input
            {...control}
            type="text"
            inputMode="numeric"
            value={row.partition}
            onChange={(e) => onChange({ partition: e.target.value })}
          />
        )}
      </Field>
      <Field id={id('amount')} label={row.operation === 'resize' ? 'New size' : 'New start'} error={errors.amount}>
        {(control) => (
          <div className="field-inline">
            <input
              {...control}
              type="text"
              inputMode="decimal"
              value={row.amount}
              onChange={(e) => onChange({ amount: e.target.value })}
            />
            <select
              aria-label={`Unit of operation ${n}`}
              value={row.unit}
              onChange={(e) => onChange({ unit: e.target.value as PlanUnit })}
            >
              {Object.keys(PLAN_UNITS).map((unit) => (
                <option key={unit}>{unit}</option>
              ))}
            </select>
          </div>
        )}
      </Field>
      <button type="button" onClick={onRemove} aria-label={`Remove operation ${n}`}>
        Remove
      </button>
    </fieldset>
  );
}
