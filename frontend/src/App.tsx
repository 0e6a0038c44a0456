import { Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './components/Layout';
import { CloneListPage } from './pages/clones/CloneListPage';
import { CloneDetailPage } from './pages/cloneDetail/CloneDetailPage';
import { NewClonePage } from './pages/newClone/NewClonePage';
import { NodesPage } from './pages/nodes/NodesPage';
import { NodeDisksPage } from './pages/disks/NodeDisksPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { AuditPage } from './pages/audit/AuditPage';
import { ReportsPage } from './pages/reports/ReportsPage';

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/clone" replace />} />
        <Route path="clone" element={<CloneListPage />} />
        <Route path="clone/new" element={<NewClonePage />} />
        <Route path="clone/:id" element={<CloneDetailPage />} />
        <Route path="nodes" element={<NodesPage />} />
        <Route path="nodes/:id/disks" element={<NodeDisksPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
