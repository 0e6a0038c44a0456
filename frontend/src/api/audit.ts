/** The audit log (GET /events) and the clone report (GET /reports/clones, or .csv). */
import { apiClient, downloadBlob, queryString } from './client';
import type { components, operations } from './schema';

type Schemas = components['schemas'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditPage = Schemas['AuditPage'];
export type CloneReport = Schemas['CloneReport'];
export type ReportRow = Schemas['ReportRow'];
export type GroupBy = Schemas['GroupBy'];
export type StreamCategory = NonNullable<AuditParams['category']>;
export type EventType = Schemas['EventType'];

/** The audit log's filters, as the OpenAPI declares them; `after` is the cursor of the previous page. */
export type AuditParams = NonNullable<operations['list_audit_events']['parameters']['query']>;

/** The clone report's filters, the same for its JSON and CSV forms. */
export type ReportParams = NonNullable<operations['get_clone_report']['parameters']['query']>;

export const auditApi = {
  events(params: AuditParams): Promise<AuditPage> {
    return apiClient.get(`/events${queryString({ ...params })}`);
  },
  cloneReport(params: ReportParams): Promise<CloneReport> {
    return apiClient.get(`/reports/clones${queryString({ ...params })}`);
  },
  cloneReportCsv(params: ReportParams): Promise<Blob> {
    return downloadBlob(`/reports/clones.csv${queryString({ ...params })}`);
  },
};
