import { useState } from 'react';
import { cloneApi } from '../../api/clone';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useClonePlan, useSetClonePlan } from '../../hooks/useCloneSessions';
import { describeParams } from '../../lib/partitionOps';
import { refusalReason } from '../../lib/fieldErrors';
import type { ClonePlanView, CloneSession } from '../../types/clone';
import {
  NO_ERRORS,
  blankRow,
  planErrorsFrom,
  planRequest,
  rowsFromOperations,
  type PlanErrors,
  type PlanRow,
} from './planForm';
import { PlanRowFields } from './PlanRowFields';

/**
 * The session's resize plan (`GET …/plan`): the source partitions to resize
 * or move before the source serves. Editable while the session is pending
 * and not started; read-only after. The server checks every save against the
 * disks' latest scans and says what is wrong, next to the field it names.
 */
export function PlanEditor({ session }: { session: CloneSession }) {
  const plan = useClonePlan(session.id);
  // Here, not in the form: a save remounts the form with the plan as stored.
  const save = useSetClonePlan(session.id);
  if (plan.isPending) return null;
  if (plan.isError) {
    return <ErrorNotice error={plan.error} what="the resize plan" onRetry={() => void plan.refetch()} />;
  }
  const view = plan.data.data;
  // Only a shrink_source session may have a plan (the server refuses one otherwise): nothing to show.
  if (view.resize_mode !== 'shrink_source' && view.source_operations.length === 0) return null;
  return (
    <section aria-labelledby="plan-title" className="card">
      <h2 id="plan-title">Resize plan</h2>
      {view.problem && (
        <p className="notice notice-warning" role="status">
          <strong>Start would be refused:</strong> {view.problem}
        </p>
      )}
      {view.editable ? <PlanForm key={planKey(view)} view={view} save={save} /> : <PlanList view={view} />}
      {view.editable && save.isSuccess && <p role="status">Plan saved.</p>}
    </section>
  );
}

/** Remounts the form when the stored plan changes (a save, or another operator's). */
const planKey = (view: ClonePlanView) => JSON.stringify(view.source_operations);

function PlanList({ view }: { view: ClonePlanView }) {
  if (view.source_operations.length === 0) return <p>No plan: the source is cloned as it is.</p>;
  return (
    <>
      <p className="field-hint">Fixed: the session has started.</p>
      <ol aria-label="Plan operations">
        {view.source_operations.map((op, i) => (
          <li key={i}>
            {op.operation} {describeParams(op.operation, op.params as Record<string, unknown>)}
          </li>
        ))}
      </ol>
    </>
  );
}

function PlanForm({ view, save }: { view: ClonePlanView; save: ReturnType<typeof useSetClonePlan> }) {
  const [rows, setRows] = useState<PlanRow[]>(() => rowsFromOperations(view.source_operations));
  const [errors, setErrors] = useState<PlanErrors>(NO_ERRORS);
  const [suggestion, setSuggestion] = useState<string | null>(null);
  const [suggesting, setSuggesting] = useState(false);

  const change = (index: number, patch: Partial<PlanRow>) => {
    setRows((all) => all.map((row, i) => (i === index ? { ...row, ...patch } : row)));
    setErrors(NO_ERRORS);
    save.reset();
  };

  async function suggest() {
    setSuggesting(true);
    try {
      const { data } = await cloneApi.analyze(view.session_id);
      if (data.suggested_plan) setRows(rowsFromOperations(data.suggested_plan.source_operations));
      setSuggestion(data.message);
      setErrors(NO_ERRORS);
    } catch (error) {
      setSuggestion(refusalReason(error));
    } finally {
      setSuggesting(false);
    }
  }

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const request = planRequest(rows);
    if ('errors' in request) return setErrors(request.errors);
    save.mutate(request.body, { onError: (error) => setErrors(planErrorsFrom(error)) });
  }

  return (
    <form aria-label="Resize plan" onSubmit={submit} noValidate>
      <p className="field-hint">
        Run on the source disk, in order, before it serves: resize (new size) or move (new start). The
        controller checks it against the disks' latest scans.
      </p>
      {rows.length === 0 && <p>No plan: the source is cloned as it is.</p>}
      {rows.map((row, index) => (
        <PlanRowFields
          key={index}
          index={index}
          row={row}
          errors={errors.rows[index] ?? {}}
          onChange={(patch) => change(index, patch)}
          onRemove={() => setRows((all) => all.filter((_, i) => i !== index))}
        />
      ))}
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      {suggestion && <p role="status">Analyze: {suggestion}</p>}
      <div className="toolbar">
        <button type="button" onClick={() => setRows((all) => [...all, blankRow()])}>
          Add operation
        </button>
        <button type="button" onClick={() => void suggest()} disabled={suggesting}>
          Use analyze's suggestion
        </button>
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : rows.length === 0 ? 'Save empty plan' : 'Save plan'}
        </button>
      </div>
    </form>
  );
}
