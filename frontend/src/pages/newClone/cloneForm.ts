/**
 * The new-clone form as plain data: its values (keyed by the API's field
 * names, so server errors land on the right control), the checks worth doing
 * before a round trip, and the request it becomes.
 */
import type { FieldErrors, FieldKeywords } from '../../lib/fieldErrors';
import type { CloneMode, CloneSessionCreate, ResizeMode } from '../../types/clone';

export interface CloneFormValues {
  clone_mode: CloneMode;
  name: string;
  source_node_id: string;
  source_device: string;
  target_node_id: string;
  target_device: string;
  staging_backend_id: string;
  resize_mode: ResizeMode;
}

export const DEFAULT_DEVICE = '/dev/sda';

export const INITIAL_VALUES: CloneFormValues = {
  clone_mode: 'direct',
  name: '',
  source_node_id: '',
  source_device: DEFAULT_DEVICE,
  target_node_id: '',
  target_device: DEFAULT_DEVICE,
  staging_backend_id: '',
  resize_mode: 'none',
};

/** Words in a server message that point at each field (see lib/fieldErrors). */
export const FIELD_KEYWORDS: FieldKeywords = {
  clone_mode: ['clone mode', 'mode'],
  name: ['name'],
  source_node_id: ['source node'],
  source_device: ['source device'],
  target_node_id: ['target node'],
  target_device: ['target device'],
  staging_backend_id: ['storage backend', 'staging backend', 'backend'],
  resize_mode: ['resize'],
};

/** Only what is plainly missing; the server does the real validation. */
export function validateCloneForm(values: CloneFormValues): FieldErrors {
  const errors: FieldErrors = {};
  if (!values.source_node_id) errors.source_node_id = 'Choose the node to copy from.';
  if (!values.source_device.trim()) errors.source_device = 'Name the disk to copy, such as /dev/sda.';
  if (values.clone_mode === 'direct') {
    if (!values.target_node_id) errors.target_node_id = 'Choose the node to copy to.';
    if (!values.target_device.trim()) errors.target_device = 'Name the disk to write, such as /dev/sda.';
  } else if (!values.staging_backend_id) {
    errors.staging_backend_id = 'Choose where the image is staged.';
  }
  return errors;
}

/** The create request: only the fields that apply to the chosen mode. */
export function toCreateRequest(values: CloneFormValues): CloneSessionCreate {
  const request: CloneSessionCreate = {
    clone_mode: values.clone_mode,
    source_node_id: values.source_node_id,
    source_device: values.source_device.trim(),
    resize_mode: values.resize_mode,
  };
  const name = values.name.trim();
  if (name) request.name = name;
  if (values.clone_mode === 'direct') {
    request.target_node_id = values.target_node_id;
    request.target_device = values.target_device.trim();
  } else {
    request.staging_backend_id = values.staging_backend_id;
  }
  return request;
}
