import { Button, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../components/error-alert';
import { HavenMark, LockIcon } from '../components/icons';
import { LanguageSwitcher } from '../components/language-switcher';
import { useSession } from './session-provider';
import { PasswordField } from '../components/password-field';

/**
 * Covers the whole screen while the session is locked. It is rendered beside the routes, not
 * instead of them: the page underneath stays mounted (made inert and hidden from assistive
 * technology by the app), so unsaved text is still there after unlocking. The cover is opaque
 * so that nobody walking past can read what was on screen.
 */
export function LockScreen() {
  const { t } = useTranslation();
  const { me, lockedByUser, unlock, logout } = useSession();
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const descriptionId = useId();

  // Focus moves to the password, and after unlocking back to where it was (the half-written
  // note, or the "Lock screen" button), so work continues where it stopped.
  // Read while rendering: by the time effects run, the page underneath is inert and has lost focus.
  const [before] = useState(() => document.activeElement);
  useEffect(() => {
    inputRef.current?.focus();
    return () => {
      if (!(before instanceof HTMLElement) || before === document.body) return;
      // The page underneath is still inert in this commit; focus it once that is lifted.
      requestAnimationFrame(() => {
        if (before.isConnected && !before.closest('[inert]')) before.focus({ preventScroll: true });
      });
    };
  }, [before]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    if (!password) {
      inputRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    try {
      await unlock(password);
    } catch (caught) {
      setError(caught);
      setPassword('');
      setPending(false);
      requestAnimationFrame(() => inputRef.current?.focus());
    }
  }

  return (
    <div
      className="lock-screen"
      data-testid="lock-screen"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
    >
      <Group justify="space-between" p="md" className="lock-screen__bar">
        <Group gap="xs">
          <HavenMark size={26} />
          <Text fw={600}>Haven</Text>
        </Group>
        <LanguageSwitcher />
      </Group>
      <Stack align="center" justify="center" className="lock-screen__body" px="md">
        <Paper withBorder shadow="md" p="xl" w="100%" maw={420}>
          <form onSubmit={submit} noValidate>
            <Stack gap="md">
              <Group gap="sm" wrap="nowrap">
                <ThemeIcon size={44} radius="xl" variant="light">
                  <LockIcon size={22} />
                </ThemeIcon>
                <div>
                  <Title order={2} fz={22} id={titleId}>
                    {t('lock.title')}
                  </Title>
                  {me ? (
                    <Text size="sm" c="dimmed" data-testid="lock-account">
                      {me.account.name} · {me.account.email}
                    </Text>
                  ) : null}
                </div>
              </Group>
              <Text size="sm" id={descriptionId}>
                {/* After a reload there is no page underneath whose work could have been kept, and
                    no knowing whether the lock came from idling or from "Lock screen". */}
                {!me ? t('lock.descriptionNoPage') : lockedByUser ? t('lock.descriptionByUser') : t('lock.description')}
              </Text>
              <ErrorAlert error={error} />
              <PasswordField
                ref={inputRef}
                label={t('lock.password')}
                autoComplete="current-password"
                value={password}
                onChange={(event) => setPassword(event.currentTarget.value)}
                required
              />
              <Button type="submit" loading={pending} fullWidth>
                {t('lock.unlock')}
              </Button>
              <Text size="xs" c="dimmed" ta="center">
                {t('lock.notYou')}{' '}
                <Button variant="subtle" size="compact-xs" onClick={() => void logout()}>
                  {t('lock.signOut')}
                </Button>
              </Text>
            </Stack>
          </form>
        </Paper>
      </Stack>
    </div>
  );
}
