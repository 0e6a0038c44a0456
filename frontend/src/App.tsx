import { Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './components/Layout';
import { CloneListPage } from './pages/clones/CloneListPage';
import { CloneDetailPage } from './pages/cloneDetail/CloneDetailPage';
import { NewClonePage } from './pages/newClone/NewClonePage';
import { NodesPage } from './pages/nodes/NodesPage';
import { NodeDetailPage } from './pages/nodes/NodeDetailPage';
import { NodeDisksPage } from './pages/disks/NodeDisksPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { AuditPage } from './pages/audit/AuditPage';
import { ImagesPage } from './pages/images/ImagesPage';
import { lazy, Suspense } from 'react';

// The reports page carries the chart library: loaded when first opened, not with every page.
const ReportsPage = lazy(() => import('./pages/reports/ReportsPage').then((m) => ({ default: m.ReportsPage })));

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/clone" replace />} />
        <Route path="clone" element={<CloneListPage />} />
        <Route path="clone/new" element={<NewClonePage />} />
        <Route path="clone/:id" element={<CloneDetailPage />} />
        <Route path="nodes" element={<NodesPage />} />
        <Route path="nodes/:id" element={<NodeDetailPage />} />
        <Route path="nodes/:id/disks" element={<NodeDisksPage />} />
        <Route path="images" element={<ImagesPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route
          path="reports"
          element={
            <Suspense fallback={<p role="status">Loading reports…</p>}>
              <ReportsPage />
            </Suspense>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
