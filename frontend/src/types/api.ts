/** Error shapes shared by every endpoint, named from the generated OpenAPI schema. */
import type { components } from '../api/schema';

/** The body of every non-2xx answer. */
export type ErrorBody = components['schemas']['ErrorResponse'];
/** One invalid field of a 422 answer. */
export type FieldError = components['schemas']['FieldError'];
