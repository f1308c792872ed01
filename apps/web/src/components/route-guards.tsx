import { Alert, Center, Paper, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import type { Permission } from '@haven/contracts';
import { OrganisationChoicePage } from '../features/auth/organisation-choice-page';
import { EnrolmentPage } from '../features/security/enrolment-page';
import { holds, isPatientSession, useSession } from '../session/session-provider';
import { ShieldIcon } from './icons';
import { LoadingScreen } from './loading-screen';

/** Where a session that must first set up a second factor is sent, whatever page it asked for. */
export const enrolmentPath = '/security/setup';

/**
 * Pages for signed-in members. A reload into a locked session shows only the lock screen. A
 * session that must first set up an authenticator app (a practice requires one) sees only the
 * setup, at {@link enrolmentPath}, without the app's navigation; every other page sends it there.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, me, endReason } = useSession();
  const location = useLocation();
  if (status === 'loading') return <LoadingScreen />;
  if (status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from: location.pathname, reason: endReason ?? undefined }} />;
  }
  if (!me) return <div className="public-page" />;
  if (me.session.pending === 'enrolment') {
    if (location.pathname === enrolmentPath) return <EnrolmentPage />;
    return <Navigate to={enrolmentPath} replace state={{ from: location.pathname }} />;
  }
  if (!me.organisation) {
    // Reloaded after the password, before choosing an organisation: choose here, then this page.
    if (me.organisations.length > 0) return <OrganisationChoicePage me={me} />;
    return <Navigate to="/login" replace />;
  }
  return <>{children}</>;
}

/**
 * The practice's pages (inside RequireAuth): a patient's session belongs in the portal and never
 * sees the staff navigation, so any of these addresses, `/` included, leads there.
 */
export function StaffOnly({ children }: { children: ReactNode }) {
  const { me } = useSession();
  if (isPatientSession(me)) return <Navigate to="/portal" replace />;
  return <>{children}</>;
}

/** The portal's pages (inside RequireAuth): staff are sent to their own home instead. */
export function PatientOnly({ children }: { children: ReactNode }) {
  const { me } = useSession();
  if (!isPatientSession(me)) return <Navigate to="/" replace />;
  return <>{children}</>;
}

/** Pages for roles holding `permission`; the server enforces the same, this only avoids a dead end. */
export function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { t } = useTranslation();
  const { me } = useSession();
  if (holds(me, permission)) return <>{children}</>;
  return (
    <Center py="xl">
      <Paper withBorder p="xl" maw={480}>
        <Title order={1} fz={22} mb="sm">
          {t('forbidden.title')}
        </Title>
        <Alert color="gray" icon={<ShieldIcon />}>
          <Text size="sm">{t('forbidden.body')}</Text>
        </Alert>
      </Paper>
    </Center>
  );
}

/**
 * Sign-in and sign-up make no sense when signed in: go home instead (or back to the page that
 * sent the user to sign in). A reload on the login page between the password and the choice of
 * organisation shows that choice rather than an empty login form.
 */
export function AnonymousOnly({ children }: { children: ReactNode }) {
  const { status, me } = useSession();
  const location = useLocation();
  if (status === 'loading') return <LoadingScreen />;
  if (status === 'authenticated' && me?.session.pending === 'enrolment') return <Navigate to={enrolmentPath} replace />;
  if (status === 'authenticated' && me?.organisation) {
    const from = (location.state as { from?: unknown } | null)?.from;
    return <Navigate to={typeof from === 'string' && from.startsWith('/') ? from : '/'} replace />;
  }
  if (status === 'authenticated' && me && me.organisations.length > 0) return <OrganisationChoicePage me={me} />;
  return <>{children}</>;
}
