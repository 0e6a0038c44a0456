import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { auditApi, type GroupBy, type ReportRow } from '../../api/audit';
import { BarChart } from '../../components/BarChart';
import { Bytes } from '../../components/Bytes';
import { ErrorNotice } from '../../components/ErrorNotice';
import { usePageTitle } from '../../hooks/usePageTitle';
import { formatDuration, formatPercent, formatRate, NONE, timeZoneLabel } from '../../lib/format';
import { type Counts, groupLabel, successRate, totals } from '../../lib/report';
import { auditKeys } from '../../state/queryKeys';
import { TableHead } from '../../components/TableHead';
import { Options } from '../../components/Options';

const GROUPS: { value: GroupBy; label: string }[] = [
  { value: 'day', label: 'Day' },
  { value: 'mode', label: 'Mode' },
  { value: 'node', label: 'Source node' },
  { value: 'status', label: 'Status' },
];

/** Start of a local calendar day ("2026-11-25") as RFC 3339; the `to` bound is the day after. */
function dayBound(day: string, next = false): string | undefined {
  if (!day) return undefined;
  const time = new Date(`${day}T00:00`);
  if (Number.isNaN(time.getTime())) return undefined;
  if (next) time.setDate(time.getDate() + 1);
  return time.toISOString();
}

/** Clone outcomes grouped by day, mode or source node: counts, success rate, bytes, durations, rates. */
export function ReportsPage() {
  usePageTitle('Reports');
  const [params, setParams] = useSearchParams();
  const groupBy = (params.get('group_by') as GroupBy | null) ?? 'day';
  const fromDay = params.get('from') ?? '';
  const toDay = params.get('to') ?? '';
  const query = { group_by: groupBy, from: dayBound(fromDay), to: dayBound(toDay, true) };
  const report = useQuery({ queryKey: auditKeys.report(query), queryFn: () => auditApi.cloneReport(query) });
  const [download, setDownload] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  function set(key: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  }

  async function downloadCsv() {
    setDownload({ busy: true, error: null });
    try {
      const blob = await auditApi.cloneReportCsv(query);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `clone-report-by-${groupBy}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      setDownload({ busy: false, error: null });
    } catch (error) {
      setDownload({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  const rows = useMemo(() => report.data?.groups ?? [], [report.data]);
  const labels = useMemo(() => rows.map(groupLabel), [rows]);
  const series = useMemo(
    () => [
      { label: 'Completed', values: rows.map((r) => r.completed), color: '#15803d' },
      { label: 'Failed', values: rows.map((r) => r.failed), color: '#dc2626' },
      { label: 'Cancelled', values: rows.map((r) => r.cancelled), color: '#9ca3af' },
    ],
    [rows],
  );
  const zone = timeZoneLabel();

  return (
    <section>
      <div className="page-heading">
        <h1>Reports</h1>
        <div className="spacer" />
        <button type="button" onClick={() => void downloadCsv()} disabled={download.busy}>
          {download.busy ? 'Preparing CSV…' : 'Download CSV'}
        </button>
      </div>
      {download.error && (
        <p className="notice notice-error" role="alert">
          Could not download the report: {download.error}
        </p>
      )}
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor="report-group">Group by</label>
          <select id="report-group" value={groupBy} onChange={(e) => set('group_by', e.target.value)}>
            <Options items={GROUPS} value={(g) => g.value} label={(g) => g.label} />
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="report-from">From ({zone})</label>
          <input id="report-from" type="date" value={fromDay} onChange={(e) => set('from', e.target.value)} />
        </div>
        <div className="field field-inline">
          <label htmlFor="report-to">To ({zone})</label>
          <input id="report-to" type="date" value={toDay} onChange={(e) => set('to', e.target.value)} />
        </div>
      </div>

      {report.isPending && <p role="status">Loading the report…</p>}
      {report.isError && <ErrorNotice error={report.error} what="the report" onRetry={() => void report.refetch()} />}
      {report.isSuccess && rows.length === 0 && <p className="empty-state">No clone sessions in this period.</p>}
      {rows.length > 0 && (
        <>
          <section className="card" aria-labelledby="outcomes-title">
            <h2 id="outcomes-title">Outcomes</h2>
            <BarChart labels={labels} series={series} title={`Completed, failed and cancelled clones by ${groupBy}`} />
          </section>
          <ReportTable rows={rows} labels={labels} />
        </>
      )}
      {report.isSuccess && (
        <section className="card" aria-labelledby="reasons-title">
          <h2 id="reasons-title">Top failure reasons</h2>
          {report.data.failure_reasons.length === 0 ? (
            <p className="muted">No failures in this period.</p>
          ) : (
            <ol className="reasons" data-testid="failure-reasons">
              {report.data.failure_reasons.slice(0, 10).map((reason) => (
                <li key={reason.reason}>
                  <strong>{reason.count}×</strong> {reason.reason}
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </section>
  );
}

const REPORT_COLUMNS = [
  'Group',
  'Created',
  'Started',
  'Completed',
  'Failed',
  'Cancelled',
  'Success rate',
  'Bytes cloned',
  'Median duration',
  'p95 duration',
  'Mean rate',
  'p95 rate',
];

function ReportTable({ rows, labels }: { rows: ReportRow[]; labels: string[] }) {
  const sum = totals(rows);
  return (
    <div className="table-scroll" role="region" aria-label="Report by group" tabIndex={0}>
      <table className="report-table">
        <TableHead columns={REPORT_COLUMNS} />
        <tbody>
          {rows.map((row, index) => (
            <tr key={row.group} data-group={row.group}>
              <th scope="row">{labels[index]}</th>
              <CountCells counts={row} />
              <td>{formatDuration(row.median_duration_seconds)}</td>
              <td>{formatDuration(row.p95_duration_seconds)}</td>
              <td>{formatRate(row.avg_transfer_rate_bps)}</td>
              <td>{formatRate(row.p95_transfer_rate_bps)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <CountCells counts={sum} />
            <td colSpan={4} />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** The counts, success rate and bytes a group row and the total row both show. */
function CountCells({ counts }: { counts: Counts }) {
  return (
    <>
      <td>{counts.created}</td>
      <td>{counts.started}</td>
      <td>{counts.completed}</td>
      <td>{counts.failed}</td>
      <td>{counts.cancelled}</td>
      <td>{rate(counts)}</td>
      <td>
        <Bytes value={counts.bytes_cloned} />
      </td>
    </>
  );
}

function rate(row: Pick<ReportRow, 'completed' | 'failed' | 'cancelled'>) {
  const value = successRate(row);
  return value === null ? NONE : formatPercent(value);
}
