import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router';
import { AppLayout } from './components/app-layout';
import { LoadingScreen } from './components/loading-screen';
import { AnonymousOnly, PatientOnly, RequireAuth, RequirePermission, StaffOnly } from './components/route-guards';
import { AuditPage } from './features/audit/audit-page';
import { ConfirmEmailPage } from './features/auth/confirm-email-page';
import { ForgotPasswordPage } from './features/auth/forgot-password-page';
import { LoginPage } from './features/auth/login-page';
import { ResetPasswordPage } from './features/auth/reset-password-page';
import { VerifyEmailPage } from './features/auth/verify-email-page';
import { ConfirmSignInPage } from './features/devices/confirm-sign-in-page';
import { NotMePage } from './features/devices/not-me-page';
import { HomePage } from './features/home/home-page';
import { NotFoundPage } from './features/home/not-found-page';
import { AcceptInvitationPage } from './features/invitations/accept-invitation-page';
import { AcceptPatientInvitationPage } from './features/portal/accept-patient-invitation-page';
import { OrganisationDetailsPage } from './features/organisation/details-page';
import { FilesPage } from './features/organisation/files-page';
import { SecurityPolicyPage } from './features/organisation/security-policy-page';
import { ProfilePage } from './features/profile/profile-page';
import { MySecurityPage } from './features/security/my-security-page';
import { StepUpProvider } from './features/security/step-up';
import { TotpSetupPage } from './features/security/totp-setup-page';
import { SessionsPage } from './features/sessions/sessions-page';
import { SignupPage } from './features/signup/signup-page';
import { RolesPage } from './features/roles/roles-page';
import { StaffPage } from './features/staff/staff-page';

/*
 * The patient area (directory, patient page, dossier) loads on first visit: it is the largest part
 * of the app and staff who manage the practice may never open it.
 */
const PatientsPage = lazy(() => import('./features/patients/patients-page').then((m) => ({ default: m.PatientsPage })));
const NewPatientPage = lazy(() => import('./features/patients/new-patient-page').then((m) => ({ default: m.NewPatientPage })));
const PatientPage = lazy(() => import('./features/patients/patient-page').then((m) => ({ default: m.PatientPage })));
/** The patient portal: only patients need it, so it loads apart too. */
const PortalRoutes = lazy(() => import('./features/portal/portal-routes').then((m) => ({ default: m.PortalRoutes })));
const loading = (page: ReactNode) => <Suspense fallback={<LoadingScreen />}>{page}</Suspense>;

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/signup" element={<AnonymousOnly><SignupPage /></AnonymousOnly>} />
      <Route path="/login" element={<AnonymousOnly><LoginPage /></AnonymousOnly>} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/verify-email" element={<VerifyEmailPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      {/* Not lazy, like /accept-invitation: a lazy page's first render can be restarted, and the
          link's token is read from the address (and removed from it) on that first render. */}
      <Route path="/accept-patient-invitation" element={<AcceptPatientInvitationPage />} />
      <Route path="/confirm-email" element={<ConfirmEmailPage />} />
      <Route path="/confirm-sign-in" element={<ConfirmSignInPage />} />
      <Route path="/not-me" element={<NotMePage />} />
      {/* "Confirm it's you" (step-up) for any signed-in page; RequireAuth shows the enrolment setup instead while one is owed. */}
      {/* A patient's own pages, in the portal's calm frame (features/portal/portal-shell.tsx). */}
      <Route path="/portal/*" element={<StepUpProvider><RequireAuth><PatientOnly>{loading(<PortalRoutes />)}</PatientOnly></RequireAuth></StepUpProvider>} />
      <Route element={<StepUpProvider><RequireAuth><StaffOnly><AppLayout /></StaffOnly></RequireAuth></StepUpProvider>}>
        <Route index element={<HomePage />} />
        <Route path="profile" element={<ProfilePage />} />
        <Route path="sessions" element={<SessionsPage />} />
        <Route path="security" element={<MySecurityPage />} />
        <Route path="security/setup" element={<TotpSetupPage />} />
        <Route path="patients" element={<RequirePermission permission="patient:read">{loading(<PatientsPage />)}</RequirePermission>} />
        <Route path="patients/new" element={<RequirePermission permission="patient:create">{loading(<NewPatientPage />)}</RequirePermission>} />
        <Route path="patients/:id" element={<RequirePermission permission="patient:read">{loading(<PatientPage />)}</RequirePermission>} />
        <Route path="staff" element={<RequirePermission permission="staff:manage"><StaffPage /></RequirePermission>} />
        <Route path="roles" element={<RequirePermission permission="role:manage"><RolesPage /></RequirePermission>} />
        <Route path="organisation/security" element={<RequirePermission permission="policy:manage"><SecurityPolicyPage /></RequirePermission>} />
        <Route path="organisation/details" element={<RequirePermission permission="organisation:manage"><OrganisationDetailsPage /></RequirePermission>} />
        <Route path="organisation/files" element={<FilesPage />} />
        <Route path="audit" element={<RequirePermission permission="audit:read"><AuditPage /></RequirePermission>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
