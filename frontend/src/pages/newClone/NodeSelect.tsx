import { Field } from '../../components/Field';
import type { Node } from '../../types/node';
import { Options } from '../../components/Options';

interface NodeSelectProps {
  id: string;
  label: string;
  nodes: Node[];
  value: string;
  error?: string;
  onChange: (nodeId: string) => void;
}

/** Pick a node by hostname (its MAC tells look-alikes apart). */
export function NodeSelect({ id, label, nodes, value, error, onChange }: NodeSelectProps) {
  return (
    <Field id={id} label={label} error={error}>
      {(control) => (
        <select {...control} value={value} onChange={(event) => onChange(event.target.value)}>
          <option value="">Choose a node…</option>
          <Options items={nodes} value={(node) => node.id} label={(node) => `${node.hostname} (${node.mac_address})`} />
        </select>
      )}
    </Field>
  );
}
