import { describe, expect, it } from 'vitest';
import { INITIAL_VALUES, toCreateRequest, validateCloneForm, type CloneFormValues } from './cloneForm';

const direct: CloneFormValues = { ...INITIAL_VALUES, source_node_id: 'n1', target_node_id: 'n2' };

describe('validateCloneForm', () => {
  it('accepts a complete direct clone', () => {
    expect(validateCloneForm(direct)).toEqual({});
  });

  it('asks for a target node in direct mode', () => {
    expect(Object.keys(validateCloneForm({ ...direct, target_node_id: '' }))).toEqual(['target_node_id']);
  });

  it('asks for a storage backend, not a target, in staged mode', () => {
    const staged = { ...direct, clone_mode: 'staged' as const, target_node_id: '' };
    expect(Object.keys(validateCloneForm(staged))).toEqual(['staging_backend_id']);
  });
});

describe('toCreateRequest', () => {
  it('sends the target for direct clones and drops an empty name', () => {
    expect(toCreateRequest({ ...direct, target_device: ' /dev/sdb ' })).toEqual({
      clone_mode: 'direct',
      source_node_id: 'n1',
      source_device: '/dev/sda',
      target_node_id: 'n2',
      target_device: '/dev/sdb',
      resize_mode: 'none',
    });
  });

  it('sends the backend, not the target, for staged clones', () => {
    const request = toCreateRequest({ ...direct, clone_mode: 'staged', staging_backend_id: 'b1', name: ' gold ' });
    expect(request).toMatchObject({ clone_mode: 'staged', staging_backend_id: 'b1', name: 'gold' });
    expect(request).not.toHaveProperty('target_node_id');
  });
});
