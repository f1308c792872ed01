import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import type { PasswordPolicy } from '@haven/contracts';
import type { ZodType } from 'zod';
import type { LoginNotice } from '../features/auth/login-page';
import { api } from '../lib/api';
import { apiFieldErrors, focusFirstError, zodFieldErrors, type FieldErrors } from '../lib/errors';
import { newPasswordErrors } from '../lib/new-password';
import { usePasswordProblems } from './password-with-policy';

/** What every invitation preview tells the page before anything is accepted. */
interface InvitationPreview {
  email: string;
  organisationName: string;
  accountExists: boolean;
  passwordPolicy: PasswordPolicy;
}

interface Options<Body> {
  token: string;
  preview: InvitationPreview;
  /** `POST` target that accepts the invitation. */
  endpoint: string;
  /** The contract the request body must meet; checked here first so mistakes show at once. */
  schema: ZodType<Body>;
  /** The body for a new person (besides token, password and name), e.g. the optional profile fields. */
  newPersonFields?: () => Record<string, unknown>;
  /** Why the sign-in page says the person came: one of the notices that name the organisation. */
  notice: Extract<LoginNotice, { organisationName: string }>['reason'];
}

/**
 * The behaviour both invitation pages share (staff and patients): a new person gives a name and
 * a password under the practice's policy, checked as they type exactly as the server will check
 * it; someone with an account confirms with their existing password. On success, to the sign-in
 * with a notice; on refusal, the server's words beside the fields they concern.
 */
export function useAcceptInvitation<Body>({ token, preview, endpoint, schema, newPersonFields, notice }: Options<Body>) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const contextWords = useMemo(() => [name, preview.email, preview.organisationName].filter(Boolean), [name, preview]);
  const problems = usePasswordProblems(password, preview.passwordPolicy, contextWords);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const candidate = preview.accountExists ? { token, password } : { token, password, name, ...newPersonFields?.() };
    const parsed = schema.safeParse(candidate);
    const errors: FieldErrors = parsed.success ? {} : zodFieldErrors(t, parsed.error);
    if (!preview.accountExists) {
      if (!name.trim()) errors['name'] = t('validation.required');
      Object.assign(errors, newPasswordErrors(t, problems, password));
    } else if (!password) {
      errors['password'] = t('validation.required');
    }
    setFieldErrors(errors);
    if (!parsed.success || Object.keys(errors).length > 0) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      await api.post(endpoint, parsed.data);
      void navigate('/login', { replace: true, state: { reason: notice, organisationName: preview.organisationName, email: preview.email } satisfies LoginNotice });
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
      setPending(false);
    }
  }

  return { name, setName, password, setPassword, fieldErrors, error, pending, formRef, contextWords, submit };
}
