/** The audit log (GET /events) and the clone report (GET /reports/clones). */
import { apiClient, downloadBlob, queryString } from './client';
import type { components, operations } from './schema';

type Schemas = components['schemas'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditPage = Schemas['AuditPage'];
export type CloneReport = Schemas['CloneReport'];
export type ReportRow = Schemas['ReportRow'];
export type GroupBy = Schemas['GroupBy'];

/** The audit log's filters, as the OpenAPI declares them; `after` is the cursor of the previous page. */
export type AuditParams = NonNullable<operations['audit_events']['parameters']['query']>;

/** The clone report's filters; the format is chosen by the call (JSON or CSV). */
export type ReportParams = Omit<NonNullable<operations['reports_clones']['parameters']['query']>, 'format'>;

export const auditApi = {
  events(params: AuditParams): Promise<AuditPage> {
    return apiClient.get(`/events${queryString({ ...params })}`);
  },
  cloneReport(params: ReportParams): Promise<CloneReport> {
    return apiClient.get(`/reports/clones${queryString({ ...params })}`);
  },
  cloneReportCsv(params: ReportParams): Promise<Blob> {
    return downloadBlob(`/reports/clones${queryString({ ...params, format: 'csv' })}`);
  },
};
