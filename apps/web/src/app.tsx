import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import { isStepUpCancelled } from './features/security/step-up';
import { ApiError } from './lib/api';
import { AppRoutes } from './routes';
import { IdleWarning } from './session/idle-warning';
import { LockScreen } from './session/lock-screen';
import { SessionProvider, useSession } from './session/session-provider';
import { cssVariablesResolver, memoryColorSchemeManager, theme } from './theme';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not get better by asking again; the lock screen deals with SESSION_LOCKED.
      // Nor does a cancelled "Confirm it's you": the page offers to ask again.
      retry: (failureCount, error) => !(error instanceof ApiError && error.status > 0 && error.status < 500) && !isStepUpCancelled(error) && failureCount < 2,
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
    mutations: { retry: false },
  },
});

/**
 * The routed pages and the lock screen are siblings: locking never unmounts the page, it only
 * makes it inert and hidden from assistive technology until the password is entered again.
 */
function Screen() {
  const { locked } = useSession();
  return (
    <>
      <div inert={locked} aria-hidden={locked || undefined} data-testid="app-content">
        <AppRoutes />
      </div>
      {locked ? <LockScreen /> : null}
      <IdleWarning />
    </>
  );
}

export function App() {
  return (
    <MantineProvider
      theme={theme}
      colorSchemeManager={memoryColorSchemeManager}
      defaultColorScheme="light"
      forceColorScheme="light"
      cssVariablesResolver={cssVariablesResolver}
    >
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <SessionProvider>
            <Screen />
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
