import { Field } from '../../components/Field';
import type { Node } from '../../types/node';

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
          {nodes.map((node) => (
            <option key={node.id} value={node.id}>
              {node.hostname} ({node.mac_address})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
