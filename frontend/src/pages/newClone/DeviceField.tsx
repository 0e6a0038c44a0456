import { useEffect } from 'react';
import { Field } from '../../components/Field';
import { useNodeDisks } from '../../hooks/useDisks';
import { formatBytes } from '../../lib/format';

interface DeviceFieldProps {
  id: string;
  label: string;
  nodeId: string;
  value: string;
  error?: string;
  onChange: (device: string) => void;
}

/**
 * A disk of the chosen node: picked from its last scan when there is one,
 * typed otherwise (unscanned nodes, or controllers without the disks API).
 */
export function DeviceField({ id, label, nodeId, value, error, onChange }: DeviceFieldProps) {
  const disks = useNodeDisks(nodeId);
  const known = disks.data?.data ?? [];

  // A typed or default device the scan does not know would be refused later.
  useEffect(() => {
    const first = known[0];
    if (first && !known.some((disk) => disk.device === value)) onChange(first.device);
  }, [known, value, onChange]);

  if (known.length > 0) {
    return (
      <Field id={id} label={label} error={error}>
        {(control) => (
          <select {...control} value={value} onChange={(event) => onChange(event.target.value)}>
            {known.map((disk) => (
              <option key={disk.device} value={disk.device}>
                {disk.device} — {formatBytes(disk.size_bytes)}
                {disk.model ? ` ${disk.model}` : ''}
              </option>
            ))}
          </select>
        )}
      </Field>
    );
  }

  return (
    <Field id={id} label={label} error={error} hint={nodeId ? 'No disk scan for this node; type the device path.' : undefined}>
      {(control) => (
        <input
          {...control}
          type="text"
          value={value}
          spellCheck={false}
          autoCapitalize="off"
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}
