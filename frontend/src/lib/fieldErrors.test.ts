import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FORM_ERROR, fieldErrorsFrom } from './fieldErrors';

const keywords = {
  source_node_id: ['source node'],
  target_node_id: ['target node'],
  staging_backend_id: ['storage backend', 'staging backend'],
};

describe('fieldErrorsFrom', () => {
  it('places listed validation errors on their fields', () => {
    const error = new ApiError(422, {
      error: 'Validation failed',
      detail: '1 field is invalid',
      fields: [{ field: 'target_node_id', message: 'required for direct mode' }],
    }, 'Unprocessable Entity');

    expect(fieldErrorsFrom(error, keywords)).toEqual({ target_node_id: 'required for direct mode' });
  });

  it('sends fields the form does not have to the form', () => {
    const error = new ApiError(422, {
      error: 'Validation failed',
      fields: [{ field: 'bogus', message: 'is wrong' }],
    }, 'Unprocessable Entity');

    expect(fieldErrorsFrom(error, keywords)).toEqual({ [FORM_ERROR]: 'bogus: is wrong' });
  });

  it('matches a not-found detail to a field by keyword', () => {
    const error = new ApiError(404, { error: 'Not found', detail: 'Target node not found' }, 'Not Found');

    expect(fieldErrorsFrom(error, keywords)).toEqual({ target_node_id: 'Target node not found' });
  });

  it('matches storage backends too', () => {
    const error = new ApiError(404, { error: 'Not found', detail: 'Storage backend not found' }, 'Not Found');

    expect(fieldErrorsFrom(error, keywords)).toEqual({ staging_backend_id: 'Storage backend not found' });
  });

  it('falls back to a form error', () => {
    const error = new ApiError(500, { error: 'Internal error' }, 'Internal Server Error');

    expect(fieldErrorsFrom(error, keywords)).toEqual({ [FORM_ERROR]: 'Internal error' });
  });

  it('explains errors that are not from the API', () => {
    expect(fieldErrorsFrom(new Error('boom'), keywords)).toEqual({ [FORM_ERROR]: 'boom' });
  });
});

describe('fieldErrorsFrom keyword matching', () => {
  it('matches whole words only', () => {
    const error = new ApiError(409, { error: 'Conflict', detail: 'hostname already taken' }, 'Conflict');

    expect(fieldErrorsFrom(error, { name: [] })).toEqual({ [FORM_ERROR]: 'Conflict: hostname already taken' });
  });

  it('prefers the most specific keyword', () => {
    const error = new ApiError(422, { error: 'Validation failed', detail: 'target_node_id required for direct mode' }, '');

    expect(fieldErrorsFrom(error, { clone_mode: ['mode'], target_node_id: ['target node'] })).toEqual({
      target_node_id: 'target_node_id required for direct mode',
    });
  });
});
