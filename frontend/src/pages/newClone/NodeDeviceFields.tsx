import { useCallback } from 'react';
import type { FieldErrors } from '../../lib/fieldErrors';
import type { Node } from '../../types/node';
import type { CloneFormValues } from './cloneForm';
import { DeviceField } from './DeviceField';
import { NodeSelect } from './NodeSelect';

interface NodeDeviceFieldsProps {
  side: 'source' | 'target';
  nodes: Node[];
  values: CloneFormValues;
  errors: FieldErrors;
  /** The form's setter; kept stable by the caller, as DeviceField calls it from an effect. */
  set: <K extends keyof CloneFormValues>(key: K, value: CloneFormValues[K]) => void;
}

/** One side of a clone: its node, then a disk of that node (`<side>_node_id`, `<side>_device`). */
export function NodeDeviceFields({ side, nodes, values, errors, set }: NodeDeviceFieldsProps) {
  const title = side === 'source' ? 'Source' : 'Target';
  const nodeKey = `${side}_node_id` as const;
  const deviceKey = `${side}_device` as const;
  const onDevice = useCallback((device: string) => set(deviceKey, device), [set, deviceKey]);
  return (
    <>
      <NodeSelect
        id={nodeKey}
        label={`${title} node`}
        nodes={nodes}
        value={values[nodeKey]}
        error={errors[nodeKey]}
        onChange={(nodeId) => set(nodeKey, nodeId)}
      />
      <DeviceField
        id={deviceKey}
        label={`${title} device`}
        nodeId={values[nodeKey]}
        value={values[deviceKey]}
        error={errors[deviceKey]}
        onChange={onDevice}
      />
    </>
  );
}
