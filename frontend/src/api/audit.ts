/** The audit log (GET /events) and the clone report (GET /reports/clones). */
import { apiClient, downloadBlob, queryString } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditPage = Schemas['AuditPage'];
export type CloneReport = Schemas['CloneReport'];
export type ReportRow = Schemas['ReportRow'];
export type GroupBy = Schemas['GroupBy'];

/** The audit log's filters; `from`/`to` are RFC 3339, `after` is the cursor of the previous page. */
export interface AuditParams {
  stream?: string;
  category?: string;
  event_type?: string;
  actor?: string;
  from?: string;
  to?: string;
  after?: number;
  limit?: number;
}

export interface ReportParams {
  from?: string;
  to?: string;
  group_by?: GroupBy;
}

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
