import { useCallback, useState, type FormEvent } from 'react';
import { usePageTitle } from '../../hooks/usePageTitle';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { useCreateCloneSession } from '../../hooks/useCloneSessions';
import { useNodes, useStorageBackends } from '../../hooks/useNodes';
import { FORM_ERROR, fieldErrorsFrom, type FieldErrors } from '../../lib/fieldErrors';
import { useOpenCreated } from '../cloneDetail/NodeTokensNotice';
import { CLONE_MODE_LABELS, RESIZE_MODE_LABELS, type CloneMode, type ResizeMode } from '../../types/clone';
import { FIELD_KEYWORDS, INITIAL_VALUES, toCreateRequest, validateCloneForm, type CloneFormValues } from './cloneForm';
import { NodeDeviceFields } from './NodeDeviceFields';
import { StagingBackendField } from './StagingBackendField';
import { ReviewPanel } from './ReviewPanel';
import { Options } from '../../components/Options';

export function NewClonePage() {
  usePageTitle('New clone');
  const openCreated = useOpenCreated();
  const nodes = useNodes();
  const create = useCreateCloneSession();
  const [values, setValues] = useState<CloneFormValues>(INITIAL_VALUES);
  const [errors, setErrors] = useState<FieldErrors>({});
  // The review step: shown once the form is complete, before anything is created.
  const [reviewing, setReviewing] = useState(false);
  const staged = values.clone_mode === 'staged';
  const backends = useStorageBackends(staged);

  const set = useCallback(<K extends keyof CloneFormValues>(key: K, value: CloneFormValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    setErrors((current) => {
      if (!(key in current)) return current;
      const { [key]: _cleared, ...rest } = current;
      return rest;
    });
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problems = validateCloneForm(values);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setReviewing(true);
  }

  async function confirm() {
    try {
      openCreated(await create.mutateAsync(toCreateRequest(values)));
    } catch (error) {
      setReviewing(false);
      setErrors(fieldErrorsFrom(error, FIELD_KEYWORDS));
    }
  }

  const nodeList = nodes.data?.data ?? [];

  return (
    <section className="narrow">
      <h1>New clone</h1>
      {nodes.isError && <ErrorNotice error={nodes.error} what="nodes" onRetry={() => void nodes.refetch()} />}
      {nodes.isSuccess && nodeList.length === 0 && (
        <p className="notice">No nodes are registered yet. Nodes appear here once they have booted from PureBoot.</p>
      )}

      {reviewing && (
        <ReviewPanel
          values={values}
          nodes={nodeList}
          busy={create.isPending}
          onConfirm={() => void confirm()}
          onBack={() => setReviewing(false)}
        />
      )}
      <form hidden={reviewing} onSubmit={submit} noValidate aria-describedby={errors[FORM_ERROR] ? 'form-error' : undefined}>
        <fieldset>
          <legend>Clone mode</legend>
          {(Object.keys(CLONE_MODE_LABELS) as CloneMode[]).map((mode) => (
            <label key={mode} className="radio">
              <input
                type="radio"
                name="clone_mode"
                value={mode}
                checked={values.clone_mode === mode}
                onChange={() => set('clone_mode', mode)}
              />
              {CLONE_MODE_LABELS[mode]}
            </label>
          ))}
          {errors.clone_mode && <p className="field-error">{errors.clone_mode}</p>}
        </fieldset>

        <fieldset>
          <legend>Source</legend>
          <NodeDeviceFields side="source" nodes={nodeList} values={values} errors={errors} set={set} />
        </fieldset>

        <fieldset>
          <legend>{staged ? 'Staging' : 'Target'}</legend>
          {staged ? (
            <StagingBackendField
              backends={backends}
              value={values.staging_backend_id}
              error={errors.staging_backend_id}
              onChange={(id) => set('staging_backend_id', id)}
            />
          ) : (
            <NodeDeviceFields side="target" nodes={nodeList} values={values} errors={errors} set={set} />
          )}
        </fieldset>

        <fieldset>
          <legend>Options</legend>
          <Field id="resize_mode" label="Resize mode" error={errors.resize_mode}>
            {(control) => (
              <select {...control} value={values.resize_mode} onChange={(e) => set('resize_mode', e.target.value as ResizeMode)}>
                <Options items={Object.keys(RESIZE_MODE_LABELS) as ResizeMode[]} label={(mode) => RESIZE_MODE_LABELS[mode]} />
              </select>
            )}
          </Field>
          <Field id="name" label="Name (optional)" error={errors.name}>
            {(control) => (
              <input {...control} type="text" value={values.name} maxLength={255} onChange={(e) => set('name', e.target.value)} />
            )}
          </Field>
        </fieldset>

        {errors[FORM_ERROR] && (
          <p id="form-error" className="notice notice-error" role="alert">
            {errors[FORM_ERROR]}
          </p>
        )}
        <button type="submit" className="primary">
          Review
        </button>
      </form>
    </section>
  );
}
