import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { baseUrl, enrolAppAtFirstSignIn, launchBrowser, linkFromOutbox, messages, readyAfterStepUp, shot, submitSignUp, uniqueSuffix } from './support.ts';

/**
 * Custom roles, as a practice meets them: the owner opens Roles, sees the built-in roles and
 * defines "Receptionist" with two permissions (patients: find and register), is told in words
 * that the name is taken when trying it twice, invites a colleague with that role from the staff
 * page, and the colleague, signed in, sees only what the role allows — no staff, roles, security
 * or audit pages, and the server refuses them too.
 */
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk De Linde ${id}`, owner: { name: `Sanne de Wit ${id}`, email: `sanne-${id}@linde.example`, password: `Linden avenue ${id} teapot` } };
const receptionist = { name: `Noor Bakker ${id}`, email: `noor-${id}@linde.example`, password: `Copper kettle ${id} harbour` };
const roleName = 'Receptionist';
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB' });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function passwordStep(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(password);
  await form.getByRole('button', { name: t('login.submit') }).click();
}

const navLink = (page: Page, key: string) => page.getByRole('navigation').getByRole('link', { name: t(key), exact: true });

let owner: Page;
let ownerSecret = '';

test('the owner signs up and sets up an authenticator app at the first sign-in', async () => {
  owner = await newPage();
  await owner.goto(`${baseUrl}/signup`);
  await submitSignUp(owner, t, { ...practice, street: 'Lindelaan 7', postalCode: '3511 AB', city: 'Utrecht', country: 'NL', kind: 'physiotherapy', phone: '+31 30 123 4567', profession: 'Physiotherapist' });
  await owner.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await owner.getByTestId('verify-success').waitFor();
  await passwordStep(owner, practice.owner.email, practice.owner.password);
  ownerSecret = await enrolAppAtFirstSignIn(owner, 'en', 'roles-01-enrol');
  await owner.getByTestId('current-user').waitFor();
});

test('the owner sees the built-in roles and defines "Receptionist"; the same name again is refused in words', async () => {
  await navLink(owner, 'nav.roles').click();
  await owner.getByRole('heading', { level: 1, name: t('customRoles.title') }).waitFor();
  await owner.getByTestId('no-custom-roles').waitFor();
  assert.equal(await owner.getByTestId('built-in-role').count(), 4, 'owner, administrator, practitioner, assistant');
  await shot(owner, 'roles-02-page');

  await owner.getByTestId('role-create').click();
  const editor = owner.getByTestId('role-editor');
  await editor.getByTestId('role-name').fill(roleName);
  await editor.getByLabel(t('permissions.patient_read.label'), { exact: true }).check();
  await editor.getByLabel(t('permissions.patient_create.label'), { exact: true }).check();
  await shot(owner, 'roles-03-editor');
  await editor.getByTestId('role-save').click();
  const created = owner.getByTestId('custom-role').filter({ hasText: roleName });
  await readyAfterStepUp(owner, created, ownerSecret);
  assert.match(await created.innerText(), new RegExp(t('permissions.patient_read.label')));
  assert.match(await created.innerText(), new RegExp(t('permissions.patient_create.label')));
  assert.doesNotMatch(await created.innerText(), new RegExp(t('permissions.dossier_read.label')));

  await owner.getByTestId('role-create').click();
  const again = owner.getByTestId('role-editor');
  await again.getByTestId('role-name').fill(roleName.toLowerCase());
  await again.getByLabel(t('permissions.patient_read.label'), { exact: true }).check();
  await again.getByTestId('role-save').click();
  await again.getByTestId('error-alert').getByText(t('errors.ROLE_NAME_TAKEN')).waitFor();
  await shot(owner, 'roles-04-name-taken');
  await again.getByRole('button', { name: t('common.cancel') }).click();
  await again.waitFor({ state: 'hidden' });
  assert.equal(await owner.getByTestId('custom-role').count(), 1);
});

test('the owner invites a colleague as Receptionist from the staff page', async () => {
  await navLink(owner, 'nav.staff').click();
  const invite = owner.getByTestId('invite-form');
  await invite.getByLabel(t('fields.email'), { exact: true }).fill(receptionist.email);
  await invite.getByLabel(t('staff.invitations.role'), { exact: true }).selectOption({ label: roleName });
  await invite.getByRole('button', { name: t('staff.invitations.send') }).click();
  const row = owner.getByTestId('invitation-row').filter({ hasText: receptionist.email });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(roleName));
  await owner.getByTestId('count-managing').waitFor();
  assert.equal(await owner.getByTestId('count-owners').innerText(), '1');
  assert.equal(await owner.getByTestId('count-managing').innerText(), '1');
  await shot(owner, 'roles-05-invited');
});

test('the receptionist signs in and sees only what the role allows', async () => {
  const page = await newPage();
  // Haven opened once first, so the CSRF cookie is set before the invitation preview (see second-factor.spec.ts).
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-form').waitFor();
  await page.goto(await linkFromOutbox(receptionist.email, '/accept-invitation#token='));
  const join = page.getByTestId('accept-invitation-form');
  await join.getByText(roleName, { exact: true }).waitFor();
  await join.getByLabel(t('fields.fullName'), { exact: true }).fill(receptionist.name);
  await join.getByLabel(t('fields.password'), { exact: true }).fill(receptionist.password);
  await join.getByRole('button', { name: t('accept.submit', { organisation: practice.name }) }).click();
  await page.getByTestId('login-notice').waitFor();
  await passwordStep(page, receptionist.email, receptionist.password);
  await enrolAppAtFirstSignIn(page, 'en', 'roles-06-enrol');
  await page.getByTestId('current-user').waitFor();

  // The home page names the role; the navigation offers none of the management pages.
  await page.getByText(`${practice.name} · ${roleName}`).waitFor();
  for (const key of ['nav.staff', 'nav.roles', 'nav.security', 'nav.audit', 'nav.details']) {
    assert.equal(await navLink(page, key).count(), 0, `${key} is not offered`);
  }
  await shot(page, 'roles-07-receptionist-home');
  for (const path of ['/staff', '/roles', '/audit']) {
    await page.goto(`${baseUrl}${path}`);
    await page.getByRole('heading', { name: t('forbidden.title') }).waitFor();
  }

  // The server says the same: exactly the role's permissions, the patient list, nothing else.
  const me = await (await page.request.get(`${baseUrl}/api/v1/me`)).json();
  assert.deepEqual(me.organisation, { ...me.organisation, role: 'custom', roleName, permissions: ['patient:read', 'patient:create'] });
  assert.equal((await page.request.get(`${baseUrl}/api/v1/patients`)).status(), 200);
  for (const path of ['/api/v1/staff', '/api/v1/audit-events', '/api/v1/organisation/security-policy']) {
    const refused = await page.request.get(`${baseUrl}${path}`);
    assert.equal(refused.status(), 403, path);
    assert.equal((await refused.json()).error.code, 'FORBIDDEN', path);
  }

  // The owner's staff list shows the colleague with the role, and it is now in use.
  await owner.reload();
  const memberRow = owner.getByTestId('member-row').filter({ hasText: receptionist.email });
  await memberRow.waitFor();
  assert.equal(await memberRow.getByTestId('member-role').locator('option:checked').innerText(), roleName);
  await navLink(owner, 'nav.roles').click();
  const role = owner.getByTestId('custom-role').filter({ hasText: roleName });
  await role.getByText(t('customRoles.members_one', { count: '1' })).waitFor();
  assert.equal(await role.getByTestId('role-delete').isDisabled(), true, 'a role in use cannot be deleted');
  await shot(owner, 'roles-08-in-use');
});
