import { Route, Routes } from 'react-router';
import { NotFoundPage } from '../home/not-found-page';
import { PortalAccessLogPage } from './portal-access-log-page';
import { PortalDetailsPage } from './portal-details-page';
import { PortalDocumentsPage } from './portal-documents-page';
import { PortalHomePage } from './portal-home-page';
import { SessionsPage } from '../sessions/sessions-page';
import { PortalSecurityPage, PortalTotpSetupPage } from './portal-security-pages';
import { PortalShell } from './portal-shell';

/** The portal's pages under `/portal` (loaded on first visit, like the practice's patient area). */
export function PortalRoutes() {
  return (
    <Routes>
      <Route element={<PortalShell />}>
        <Route index element={<PortalHomePage />} />
        <Route path="details" element={<PortalDetailsPage />} />
        <Route path="documents" element={<PortalDocumentsPage />} />
        <Route path="access-log" element={<PortalAccessLogPage />} />
        <Route path="security" element={<PortalSecurityPage />} />
        <Route path="security/setup" element={<PortalTotpSetupPage />} />
        {/* Every signed-in browser of the account, as staff see theirs. */}
        <Route path="sessions" element={<SessionsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
