import diagnostics from 'node:diagnostics_channel';
import { builtInRoles, careTeamScoped, defaultSecurityPolicy, type ErrorCode, type StaffRole } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../src/core/http/access.ts';
import { TestAgent, type TestResponse } from './support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, freshTotpCode, patientBody, signIn as signInWithFactors, signupBody, strongPassword, unique, type TestOrganisation, type TestPerson } from './support/fixtures.ts';
import { breakGlassGrants, organisations } from '../src/core/db/schema.ts';
import { eq } from 'drizzle-orm';
import { createHarness, type TestHarness } from './support/harness.ts';
import { signInPatient, type TestPatient } from './support/patient-fixtures.ts';
import { samplePdf, type UploadFile } from './support/sample-files.ts';
import { addPasskey, testAuthenticator } from './support/software-authenticator.ts';

/*
 * The authorization matrix, generated from the running app: every route it registers, with the
 * access it declares (`config.access`), is called by every kind of principal, and the expected
 * answer is derived from that declaration, never written per route. A route without a declared
 * access, or without a request builder below, fails the run, so no new route slips in untested.
 */

interface DiscoveredRoute {
  method: string;
  url: string;
  access: Access | undefined;
}

/** Builds a harness and records every route its app registers (onRoute, hooked in at creation). */
async function harnessWithRoutes(): Promise<{ h: TestHarness; routes: DiscoveredRoute[] }> {
  const routes: DiscoveredRoute[] = [];
  const channel = diagnostics.channel('fastify.initialization');
  const onInit = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: route.config?.access });
    });
  };
  channel.subscribe(onInit);
  try {
    return { h: await createHarness(), routes };
  } finally {
    channel.unsubscribe(onInit);
  }
}

export const { h, routes } = await harnessWithRoutes();
afterAll(() => h.close());

export const label = (route: { method: string; url: string }) => `${route.method} ${route.url}`;
export const apiRoutes = routes.filter((route) => route.url.startsWith('/api/v1/') && route.method !== 'HEAD');
/** Served by plugins for the API documentation; public by design and outside /api/v1. */
export const isDocumentation = (url: string) => url === '/api/openapi.json' || url === '/api/docs' || url.startsWith('/api/docs/');

// ---------------------------------------------------------------------------------------------
// Principals and the expected outcome, derived from the declared access
// ---------------------------------------------------------------------------------------------

/*
 * Practice A has one person per built-in role, and three practitioners around its patient P:
 * one in P's care team (P's creator), one outside it, and one outside it holding a valid
 * break-the-glass grant for P. P has a portal account (`patientSelf`), and so does another
 * patient of A, Q (`otherPatient`). Practice B has its owner.
 */
const principals = ['owner', 'admin', 'practitionerInTeam', 'practitionerOutside', 'practitionerWithGrant', 'assistant', 'patientSelf', 'otherPatient', 'otherOwner', 'none'] as const;
type PrincipalName = (typeof principals)[number];
type Person = Exclude<PrincipalName, 'none'>;
type PatientName = 'patientSelf' | 'otherPatient';
type StaffName = Exclude<Person, PatientName>;
/** A patient of practice A signed in to its portal, as the matrix keeps them. */
type PortalPerson = TestPatient & { role: 'patient' };
type MatrixPerson = TestPerson | PortalPerson;

const isPatient = (who: PrincipalName): who is PatientName => who === 'patientSelf' || who === 'otherPatient';
const staffRoleOf = (who: StaffName): StaffRole => (who === 'otherOwner' ? 'owner' : who.startsWith('practitioner') ? 'practitioner' : (who as StaffRole));
/** The role the audit trail names (actorRole): the staff role, or 'patient'. */
const roleOf = (who: Person): StaffRole | 'patient' => (isPatient(who) ? 'patient' : staffRoleOf(who));
/** Who reaches patient P's care-team-scoped data: the care team, and a valid grant. */
const reachesPatient = (who: Person): boolean => who === 'practitionerInTeam' || who === 'practitionerWithGrant';

type Expected =
  | { kind: 'allowed' }
  /**
   * `audited`: a route-level refusal (the guard; recorded in the refused principal's own
   * practice, B for `otherOwner`), a patient-level one (core/authz, with P's id), or none.
   */
  | { kind: 'refused'; status: 401 | 403 | 409; code: ErrorCode; audited: false | 'route' | 'patient' }
  | { kind: 'hidden'; code: ErrorCode };

function expectedOutcome(access: Access, who: PrincipalName, routeCase: Pick<RouteCase, 'crossTenant' | 'patient'> = {}): Expected {
  const crossTenant = routeCase.crossTenant;
  if (who === 'none') {
    if (access.level === 'public') return { kind: 'allowed' };
    // An idle-lock screen whose session is gone: "your session has ended", still a 401.
    if (access.level === 'locked') return { kind: 'refused', status: 401, code: 'SESSION_EXPIRED', audited: false };
    return { kind: 'refused', status: 401, code: 'AUTH_REQUIRED', audited: false };
  }
  // The second step of signing in: only a session that owes it; a signed-in one owes nothing.
  if (access.level === 'second_factor') return { kind: 'refused', status: 409, code: 'SECOND_FACTOR_NOT_PENDING', audited: false };
  // Continuing a held sign-in: only a session held for confirmation; a signed-in one is not.
  if (access.level === 'held') return { kind: 'refused', status: 409, code: 'SIGN_IN_NOT_HELD', audited: false };
  // The portal is for the practice's patients alone: every staff member is refused, whatever
  // their role holds (another practice's owner too, recorded in their own practice).
  if (access.level === 'patient') return isPatient(who) ? { kind: 'allowed' } : { kind: 'refused', status: 403, code: 'FORBIDDEN', audited: 'route' };
  // And a patient reaches no staff route; account and public routes serve them like anyone signed in.
  if (isPatient(who)) return access.level === 'member' ? { kind: 'refused', status: 403, code: 'FORBIDDEN', audited: 'route' } : { kind: 'allowed' };
  // What each principal's role holds comes from the catalogue in packages/contracts, the same
  // table the roles page shows — not from the server's guard, so a guard bug cannot hide here.
  const held = builtInRoles[staffRoleOf(who)];
  if (access.level === 'member' && access.permissions?.some((permission) => !held.includes(permission))) return { kind: 'refused', status: 403, code: 'FORBIDDEN', audited: 'route' };
  // Another practice's owner is let through by permission, and must then find nothing of practice A.
  if (who === 'otherOwner' && crossTenant) return { kind: 'hidden', code: crossTenant };
  // The care-team rule: a route on patient P that needs a care-team-scoped permission reaches P
  // only through the care team or a grant — no role bypasses it, the owner's included.
  const scoped = access.level === 'member' && (access.permissions ?? []).some((permission) => careTeamScoped.has(permission));
  if (routeCase.patient && scoped && !reachesPatient(who)) return { kind: 'refused', status: 403, code: 'CARE_TEAM_REQUIRED', audited: 'patient' };
  return { kind: 'allowed' };
}

// ---------------------------------------------------------------------------------------------
// Scenes: practice A with one person per role, practice B with its owner
// ---------------------------------------------------------------------------------------------

interface Scene {
  a: TestOrganisation;
  b: TestOrganisation;
  people: Record<StaffName, TestPerson> & Record<PatientName, PortalPerson>;
  /** Practice A's patient P, created by `practitionerInTeam` (who is thereby its care team). */
  patient: { id: string };
}

async function createScene(): Promise<Scene> {
  const a = await createTestOrganisation(h);
  const b = await createTestOrganisation(h);
  const admin = await addMember(h, a, 'admin');
  const practitionerInTeam = await addMember(h, a, 'practitioner');
  const practitionerOutside = await addMember(h, a, 'practitioner');
  const practitionerWithGrant = await addMember(h, a, 'practitioner');
  const assistant = await addMember(h, a, 'assistant');
  const patient = await createTestPatient(practitionerInTeam);
  // Practice A asks its patients for a second factor too, so that patients meet the account
  // routes (factors, step-up, the last factor) exactly as its staff do.
  await h.db.tenant(a.orgId, (tx) => tx.update(organisations).set({ patientSecondFactorRequired: true }).where(eq(organisations.id, a.orgId)));
  const patientSelf: PortalPerson = { ...(await signInPatient(h, a, { existing: { patientId: patient.id, email: patient.body.contact.email } })), role: 'patient' };
  const otherPatient: PortalPerson = { ...(await signInPatient(h, a)), role: 'patient' };
  // A valid break-the-glass grant, written directly: the scene needs one that outlives every
  // cell, whatever the practice's grant length (features/care-teams tests the real route).
  const now = h.clock.now();
  await h.db.tenant(a.orgId, (tx) =>
    tx.insert(breakGlassGrants).values({
      orgId: a.orgId,
      id: crypto.randomUUID(),
      patientId: patient.id,
      membershipId: practitionerWithGrant.membershipId,
      accountId: practitionerWithGrant.accountId,
      reasonCode: 'emergency',
      grantedAt: now,
      expiresAt: new Date(now.getTime() + 30 * 86_400_000),
    }),
  );
  return {
    a,
    b,
    people: { owner: a.owner, admin, practitionerInTeam, practitionerOutside, practitionerWithGrant, assistant, patientSelf, otherPatient, otherOwner: b.owner },
    patient: { id: patient.id },
  };
}

/** A new session of its own for a person, so one cell's logout or password change spares the next. */
async function signIn(person: MatrixPerson): Promise<{ agent: TestAgent; sessionId: string }> {
  const { agent, login } = await signInWithFactors(h, person);
  expect(login.status, `login of ${person.email}`).toBe(200);
  expect(login.body.status).toBe('authenticated');
  return { agent, sessionId: login.body.me.session.id };
}

/** Practice A's owner, freshly signed in (an earlier cell may have ended the owner's sessions). */
async function ownerOfA(scene: Scene): Promise<TestAgent> {
  const { agent } = await signIn(scene.a.owner);
  scene.a.owner.agent = agent;
  return agent;
}

async function newPractitioner(scene: Scene): Promise<TestPerson> {
  await ownerOfA(scene);
  return addMember(h, scene.a, 'practitioner');
}

async function newInvitation(scene: Scene): Promise<{ id: string; token: string }> {
  const owner = await ownerOfA(scene);
  const email = `invitee-${unique()}@example.org`;
  const invited = await owner.post('/api/v1/invitations', { email, role: 'assistant' });
  expect(invited.status).toBe(201);
  return { id: invited.body.id, token: h.mailer.lastToken(email, 'invitation') };
}

async function memberOfA(scene: Scene, membershipId: string) {
  const staff = await (await ownerOfA(scene)).get('/api/v1/staff');
  expect(staff.status).toBe(200);
  return staff.body.members.find((member: { id: string }) => member.id === membershipId);
}

/** Re-reads a member of practice A through A's owner and checks role and status are unchanged. */
async function expectMemberUnchanged(scene: Scene, target: TestPerson, status: 'active' | 'deactivated'): Promise<void> {
  expect(await memberOfA(scene, target.membershipId)).toMatchObject({ role: target.role, status });
  // An active member's session still works: nothing ended it.
  if (status === 'active') expect((await target.agent.get('/api/v1/organisation')).status).toBe(200);
}

const aUuid = () => crypto.randomUUID();
const unknownToken = () => `unknown${unique()}${unique()}`;

// ---------------------------------------------------------------------------------------------
// One request builder per route
// ---------------------------------------------------------------------------------------------

interface Cell {
  scene: Scene;
  who: PrincipalName;
  /** The principal (none: null); `otherOwner` is practice B's owner. */
  person: MatrixPerson | null;
  agent: TestAgent;
}

interface BuiltRequest {
  url?: string;
  body?: unknown;
  /** Sent as a multipart upload instead of a JSON body. */
  upload?: UploadFile;
  /** What an allowed principal gets (its status and, for a refusal by the handler, the code). */
  status: number;
  code?: ErrorCode;
  /** Runs after an allowed request succeeded (e.g. remember a changed password). */
  after?: (response: TestResponse) => void | Promise<void>;
  /** Runs after a refused or hidden request: re-reads the target to prove nothing changed. */
  untouched?: () => Promise<void>;
}

interface RouteCase {
  /** The route names a resource of one practice: another practice's owner gets this 404. */
  crossTenant?: ErrorCode;
  /** The route names patient P: care-team-scoped permissions reach P only through the care team. */
  patient?: true;
  build(cell: Cell): Promise<BuiltRequest>;
}

/** A fresh patient of practice A (with an e-mail address), invited to the portal when `invited`. */
async function newPatientOfA(scene: Scene, invited: boolean): Promise<{ id: string; email: string; token: string | null }> {
  const email = `patient-${unique()}@example.org`;
  const { id } = await createTestPatient({ agent: (await signIn(scene.people.practitionerInTeam)).agent }, { contact: { email } });
  if (!invited) return { id, email, token: null };
  expect((await (await ownerOfA(scene)).post(`/api/v1/patients/${id}/invitation`, { locale: 'en' })).status).toBe(201);
  return { id, email, token: h.mailer.lastToken(email, 'patient_invitation') };
}

async function newPatientInvitation(scene: Scene): Promise<{ token: string }> {
  return { token: (await newPatientOfA(scene, true)).token! };
}

/** For invitation routes: a fresh patient per cell (invited already when `invited`); `untouched` re-reads its portal status. */
function invitationRoute(invited: boolean, action: (patient: { id: string }) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'PATIENT_NOT_FOUND',
    async build({ scene }) {
      const patient = await newPatientOfA(scene, invited);
      const reader = (await signIn(scene.people.practitionerInTeam)).agent;
      const before = (await reader.get(`/api/v1/patients/${patient.id}/portal`)).body;
      return { ...action(patient), untouched: async () => expect((await reader.get(`/api/v1/patients/${patient.id}/portal`)).body).toEqual(before) };
    },
  };
}

/**
 * For routes on patient P of practice A. `untouched` re-reads P through the care team and
 * compares with what P was before the cell.
 */
function patientRoute(action: (patient: { id: string }, cell: Cell) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'PATIENT_NOT_FOUND',
    patient: true,
    async build(cell) {
      const reader = (await signIn(cell.scene.people.practitionerInTeam)).agent;
      const before = await reader.get(`/api/v1/patients/${cell.scene.patient.id}`);
      expect(before.status).toBe(200);
      return {
        ...action(cell.scene.patient, cell),
        untouched: async () => expect((await reader.get(`/api/v1/patients/${cell.scene.patient.id}`)).body).toEqual(before.body),
      };
    },
  };
}

/** For routes on one staff member: a fresh practitioner of practice A as the target. */
function memberRoute(action: (target: TestPerson) => Promise<Omit<BuiltRequest, 'untouched'> & { startsDeactivated?: boolean }>): RouteCase {
  return {
    crossTenant: 'MEMBER_NOT_FOUND',
    async build({ scene }) {
      const target = await newPractitioner(scene);
      const built = await action(target);
      if (built.startsDeactivated) expect((await (await ownerOfA(scene)).post(`/api/v1/staff/${target.membershipId}/deactivate`)).status).toBe(200);
      return { ...built, untouched: () => expectMemberUnchanged(scene, target, built.startsDeactivated ? 'deactivated' : 'active') };
    },
  };
}

/** For routes on one file: a fresh file of practice A, uploaded by A's owner. */
function fileRoute(action: (file: { id: string }) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'FILE_NOT_FOUND',
    async build({ scene }) {
      const owner = await ownerOfA(scene);
      const uploaded = await owner.upload('/api/v1/organisation/files', { name: `Template ${unique()}.pdf`, content: samplePdf('template') });
      expect(uploaded.status).toBe(201);
      return {
        ...action(uploaded.body),
        untouched: async () => expect((await (await ownerOfA(scene)).get(`/api/v1/organisation/files/${uploaded.body.id}/content`)).status).toBe(200),
      };
    },
  };
}

/** For routes on one custom role: a fresh role of practice A, defined by A's owner. */
function customRoleRoute(action: (role: { id: string }) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'ROLE_NOT_FOUND',
    async build({ scene }) {
      const created = await (await ownerOfA(scene)).post('/api/v1/roles', { name: `Role ${unique()}`, permissions: ['patient:read'] });
      expect(created.status).toBe(201);
      return {
        ...action(created.body),
        untouched: async () => {
          const listed = await (await ownerOfA(scene)).get('/api/v1/roles');
          expect(listed.body.roles).toContainEqual(expect.objectContaining({ id: created.body.id, name: created.body.name, permissions: ['patient:read'] }));
        },
      };
    },
  };
}

/** Well-formed WebAuthn answers that no ceremony is waiting for (for principals the guard turns away first). */
const someRegistration = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: 'e30', attestationObject: 'oA' } };
const someAssertion = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' } };

/**
 * For routes on one passkey: a fresh passkey of the caller — or, for no one and for practice B's
 * owner, of A's owner, which must come through unchanged (and is removed afterwards).
 */
function passkeyRoute(action: (passkeyId: string) => Omit<BuiltRequest, 'untouched' | 'after'>): RouteCase {
  return {
    crossTenant: 'PASSKEY_NOT_FOUND',
    async build({ scene, who, agent }) {
      const holderAgent = who === 'none' || who === 'otherOwner' ? await ownerOfA(scene) : agent;
      const name = `Key ${unique()}`;
      const { id } = await addPasskey(holderAgent, testAuthenticator(), name);
      const remove = async () => expect((await holderAgent.delete(`/api/v1/me/passkeys/${id}`)).status).toBe(204);
      return {
        ...action(id),
        after: async (response) => {
          if (response.status !== 204) await remove();
        },
        untouched: async () => {
          expect((await holderAgent.get('/api/v1/me/passkeys')).body.passkeys).toEqual([expect.objectContaining({ id, name })]);
          await remove();
        },
      };
    },
  };
}

/**
 * For routes on one dossier entry of patient P: a fresh note written by P's care team.
 * `untouched` proves the entry unchanged (same version, still active).
 */
function entryRoute(action: (ids: { patientId: string; entryId: string }, cell: Cell) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'PATIENT_NOT_FOUND',
    patient: true,
    async build(cell) {
      const writer = (await signIn(cell.scene.people.practitionerInTeam)).agent;
      const patientId = cell.scene.patient.id;
      const created = await writer.post(`/api/v1/patients/${patientId}/entries`, { kind: 'note', content: { text: `Matrix note ${unique()}` }, effectiveAt: '2026-11-20T10:00:00+01:00' });
      expect(created.status).toBe(201);
      const entryId: string = created.body.id;
      return {
        ...action({ patientId, entryId }, cell),
        untouched: async () => expect((await writer.get(`/api/v1/patients/${patientId}/entries/${entryId}`)).body).toMatchObject({ currentVersion: 1, status: 'active', enteredInError: null }),
      };
    },
  };
}

/**
 * For routes on patient P's documents: with `withDocument`, a fresh document uploaded by P's care
 * team first. `untouched` proves P's document list unchanged: nothing added, nothing shared.
 */
function documentRoute(withDocument: boolean, action: (ids: { patientId: string; documentId: string }, cell: Cell) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'PATIENT_NOT_FOUND',
    patient: true,
    async build(cell) {
      const reader = (await signIn(cell.scene.people.practitionerInTeam)).agent;
      const patientId = cell.scene.patient.id;
      let documentId = '';
      if (withDocument) {
        const uploaded = await reader.upload(`/api/v1/patients/${patientId}/documents`, { name: `Letter ${unique()}.pdf`, content: samplePdf('letter') });
        expect(uploaded.status).toBe(201);
        documentId = uploaded.body.id;
      }
      const before = await reader.get(`/api/v1/patients/${patientId}/documents`);
      expect(before.status).toBe(200);
      return { ...action({ patientId, documentId }, cell), untouched: async () => expect((await reader.get(`/api/v1/patients/${patientId}/documents`)).body).toEqual(before.body) };
    },
  };
}

/**
 * For portal routes: no id of a patient in the path — each patient is answered about themself
 * (P for `patientSelf`, Q for `otherPatient`), which `after` checks; every staff member is
 * refused. `untouched` re-reads P through the care team: a refused request changed nothing.
 */
function portalRoute(action: (self: { patientId: string }, cell: Cell) => Omit<BuiltRequest, 'untouched'> | Promise<Omit<BuiltRequest, 'untouched'>>): RouteCase {
  return {
    async build(cell) {
      const reader = (await signIn(cell.scene.people.practitionerInTeam)).agent;
      const before = await reader.get(`/api/v1/patients/${cell.scene.patient.id}`);
      expect(before.status).toBe(200);
      const self = { patientId: cell.who === 'otherPatient' ? cell.scene.people.otherPatient.patientId : cell.scene.patient.id };
      return { ...(await action(self, cell)), untouched: async () => expect((await reader.get(`/api/v1/patients/${cell.scene.patient.id}`)).body).toEqual(before.body) };
    },
  };
}

/** A document of the patient (P by its care team, Q by A's owner, Q's care team), shared with them. */
async function sharedDocumentOf(scene: Scene, patientId: string): Promise<string> {
  const uploader = patientId === scene.patient.id ? (await signIn(scene.people.practitionerInTeam)).agent : await ownerOfA(scene);
  const uploaded = await uploader.upload(`/api/v1/patients/${patientId}/documents`, { name: `Shared ${unique()}.pdf`, content: samplePdf('shared') });
  expect(uploaded.status).toBe(201);
  expect((await uploader.put(`/api/v1/patients/${patientId}/documents/${uploaded.body.id}/sharing`, { shared: true })).status).toBe(200);
  return uploaded.body.id;
}

/** Only the patient's own: the other patient's id appears nowhere in what they got. */
const onlySelf = (self: { patientId: string }, cell: Cell) => (response: TestResponse) => {
  const other = self.patientId === cell.scene.patient.id ? cell.scene.people.otherPatient.patientId : cell.scene.patient.id;
  expect(JSON.stringify(response.body)).not.toContain(other);
};

/**
 * For care-team routes on patient P: a new practitioner of practice A per cell (already in P's
 * care team when `inTeam`). `untouched` re-reads P's care team: nobody added, nobody removed.
 */
function careTeamRoute(inTeam: boolean, action: (ids: { patientId: string; membershipId: string }) => Omit<BuiltRequest, 'untouched'>): RouteCase {
  return {
    crossTenant: 'PATIENT_NOT_FOUND',
    patient: true,
    async build({ scene }) {
      const target = await newPractitioner(scene);
      const teamUrl = `/api/v1/patients/${scene.patient.id}/care-team`;
      if (inTeam) expect((await (await ownerOfA(scene)).put(`${teamUrl}/${target.membershipId}`, { roleInTeam: 'member' })).status).toBe(200);
      const team = async () => (await (await ownerOfA(scene)).get(teamUrl)).body.members.map((member: { membershipId: string; roleInTeam: string }) => [member.membershipId, member.roleInTeam]);
      const before = await team();
      return { ...action({ patientId: scene.patient.id, membershipId: target.membershipId }), untouched: async () => expect(await team()).toEqual(before) };
    },
  };
}

export const cases: Record<string, RouteCase> = {
  // ----- sign-up, login and the session -----
  'POST /api/v1/signup': { build: async () => ({ body: signupBody(), status: 202 }) },
  'GET /api/v1/password-policy': { build: async () => ({ status: 200 }) },
  'POST /api/v1/auth/verify-email': { build: async () => ({ body: { token: unknownToken() }, status: 400, code: 'TOKEN_INVALID' }) },
  'POST /api/v1/auth/login': {
    build: async ({ scene, person }) => {
      const who = person ?? scene.people.practitionerInTeam;
      return { body: { email: who.email, password: who.password }, status: 200 };
    },
  },
  'POST /api/v1/auth/select-organisation': {
    build: async ({ scene, person }) => ({ body: { organisationId: person === scene.people.otherOwner ? scene.b.orgId : scene.a.orgId }, status: 200 }),
  },
  'POST /api/v1/auth/logout': { build: async () => ({ status: 204 }) },
  'GET /api/v1/auth/session': { build: async () => ({ status: 200 }) },
  'POST /api/v1/auth/heartbeat': { build: async () => ({ status: 204 }) },
  'POST /api/v1/auth/lock': { build: async () => ({ status: 204 }) },
  'POST /api/v1/auth/unlock': { build: async ({ person }) => ({ body: { password: person?.password ?? strongPassword() }, status: 200 }) },
  'POST /api/v1/auth/password-reset': { build: async ({ person }) => ({ body: { email: person?.email ?? `nobody-${unique()}@example.org` }, status: 202 }) },
  'POST /api/v1/auth/password-reset/confirm': { build: async () => ({ body: { token: unknownToken(), password: strongPassword() }, status: 400, code: 'TOKEN_INVALID' }) },
  // ----- second factors (every principal set up an authenticator app at first sign-in) -----
  'GET /api/v1/auth/second-factor': { build: async () => ({ status: 200 }) },
  'POST /api/v1/auth/second-factor': { build: async () => ({ body: { method: 'totp', code: '123456' }, status: 200 }) },
  'POST /api/v1/auth/step-up': {
    build: async ({ person }) => ({ body: { method: 'totp', code: person?.totpSecret ? freshTotpCode(h, person.totpSecret) : '123456' }, status: 200 }),
  },
  'GET /api/v1/me/security': { build: async () => ({ status: 200 }) },
  'POST /api/v1/me/totp/setup': { build: async () => ({ status: 409, code: 'TOTP_ALREADY_ENROLLED' }) },
  'POST /api/v1/me/totp/confirm': { build: async () => ({ body: { code: '123456' }, status: 409, code: 'TOTP_SETUP_NOT_STARTED' }) },
  // The practice requires a second factor: the only one cannot go.
  'DELETE /api/v1/me/totp': { build: async () => ({ status: 409, code: 'LAST_FACTOR' }) },
  // ----- codes by SMS and e-mail (practice A allows SMS, not e-mail codes; nobody has either yet) -----
  'POST /api/v1/auth/second-factor/send': { build: async () => ({ body: { method: 'sms' }, status: 200 }) },
  'POST /api/v1/auth/step-up/send': { build: async () => ({ body: { method: 'sms' }, status: 409, code: 'FACTOR_NOT_SET_UP' }) },
  'POST /api/v1/me/email-code/setup': { build: async () => ({ status: 409, code: 'FACTOR_NOT_ALLOWED' }) },
  'POST /api/v1/me/email-code/confirm': { build: async () => ({ body: { code: '123456' }, status: 409, code: 'FACTOR_NOT_ALLOWED' }) },
  'DELETE /api/v1/me/email-code': { build: async () => ({ status: 404, code: 'NOT_FOUND' }) },
  // A landline: refused before anything is stored or sent.
  'POST /api/v1/me/phone': { build: async () => ({ body: { phoneNumber: '+31 20 123 4567' }, status: 400, code: 'PHONE_NUMBER_INVALID' }) },
  'POST /api/v1/me/phone/confirm': { build: async () => ({ body: { code: '123456' }, status: 409, code: 'FACTOR_SETUP_NOT_STARTED' }) },
  'DELETE /api/v1/me/phone': { build: async () => ({ status: 404, code: 'NOT_FOUND' }) },
  'POST /api/v1/me/recovery-codes': { build: async () => ({ status: 200 }) },
  // ----- passkeys (a passkey made for a cell is removed again, so later cells meet the person as before) -----
  'GET /api/v1/me/passkeys': { build: async () => ({ status: 200 }) },
  'POST /api/v1/me/passkeys/registration-options': { build: async () => ({ status: 200 }) },
  'POST /api/v1/me/passkeys': {
    build: async ({ person, agent }) => {
      if (!person) return { body: { name: 'Key', response: someRegistration }, status: 201 };
      const options = await agent.post('/api/v1/me/passkeys/registration-options');
      expect(options.status).toBe(200);
      return {
        body: { name: `Key ${unique()}`, response: testAuthenticator().register(options.body) },
        status: 201,
        after: async (response) => expect((await agent.delete(`/api/v1/me/passkeys/${response.body.passkey.id}`)).status).toBe(204),
      };
    },
  },
  'PATCH /api/v1/me/passkeys/:id': passkeyRoute((passkeyId) => ({ url: `/api/v1/me/passkeys/${passkeyId}`, body: { name: `Renamed ${unique()}` }, status: 200 })),
  'DELETE /api/v1/me/passkeys/:id': passkeyRoute((passkeyId) => ({ url: `/api/v1/me/passkeys/${passkeyId}`, status: 204 })),
  'POST /api/v1/auth/passkey/options': { build: async () => ({ status: 200 }) },
  'POST /api/v1/auth/passkey': {
    build: async ({ scene, person, agent }) => {
      // Anyone may sign in with a passkey, signed in already or not: here as themselves (or A's practitioner in the care team).
      const holder = person ?? scene.people.practitionerInTeam;
      const key = testAuthenticator();
      const { agent: holderAgent } = await signIn(holder);
      const { id } = await addPasskey(holderAgent, key);
      const options = await agent.post('/api/v1/auth/passkey/options');
      return {
        body: { response: key.authenticate(options.body) },
        status: 200,
        after: async () => expect((await holderAgent.delete(`/api/v1/me/passkeys/${id}`)).status).toBe(204),
      };
    },
  },
  'POST /api/v1/auth/second-factor/passkey/options': { build: async () => ({ status: 200 }) },
  'POST /api/v1/auth/second-factor/passkey': { build: async () => ({ body: { response: someAssertion }, status: 200 }) },
  'POST /api/v1/auth/step-up/passkey/options': {
    build: async ({ person, agent }) => {
      if (!person) return { status: 200 };
      const { id } = await addPasskey(agent, testAuthenticator());
      return { status: 200, after: async () => expect((await agent.delete(`/api/v1/me/passkeys/${id}`)).status).toBe(204) };
    },
  },
  'POST /api/v1/auth/step-up/passkey': {
    build: async ({ person, agent }) => {
      if (!person) return { body: { response: someAssertion }, status: 200 };
      const key = testAuthenticator();
      const { id } = await addPasskey(agent, key);
      const options = await agent.post('/api/v1/auth/step-up/passkey/options');
      return {
        body: { response: key.authenticate(options.body) },
        status: 200,
        after: async () => expect((await agent.delete(`/api/v1/me/passkeys/${id}`)).status).toBe(204),
      };
    },
  },
  'POST /api/v1/me/password': {
    build: async ({ person }) => {
      const newPassword = strongPassword();
      return {
        body: { currentPassword: person?.password ?? strongPassword(), newPassword },
        status: 200,
        after: () => {
          person!.password = newPassword;
        },
      };
    },
  },
  // ----- my profile and sessions -----
  'GET /api/v1/me': { build: async () => ({ status: 200 }) },
  'PATCH /api/v1/me': { build: async () => ({ body: { profession: `Therapist ${unique()}` }, status: 200 }) },
  'POST /api/v1/me/email/confirm': { build: async () => ({ body: { token: unknownToken() }, status: 400, code: 'TOKEN_INVALID' }) },
  'GET /api/v1/sessions': { build: async () => ({ status: 200 }) },
  'DELETE /api/v1/sessions/:id': {
    crossTenant: 'SESSION_NOT_FOUND',
    build: async ({ scene, who, person }) => {
      // My own second session; for anyone else (no session, another practice) one of A's owner's.
      const owner = who === 'none' || who === 'otherOwner' ? scene.a.owner : person!;
      const target = await signIn(owner);
      return {
        url: `/api/v1/sessions/${target.sessionId}`,
        status: 204,
        untouched: async () => expect((await target.agent.get('/api/v1/me')).status).toBe(200),
      };
    },
  },
  'POST /api/v1/sessions/end-others': { build: async () => ({ status: 200 }) },
  // ----- known devices and held sign-ins (features/devices) -----
  'POST /api/v1/auth/confirm-sign-in': { build: async () => ({ body: { token: unknownToken() }, status: 400, code: 'TOKEN_INVALID' }) },
  'POST /api/v1/auth/confirm-sign-in/continue': { build: async () => ({ status: 200 }) },
  'POST /api/v1/auth/not-me': { build: async () => ({ body: { token: unknownToken() }, status: 400, code: 'TOKEN_INVALID' }) },
  'GET /api/v1/me/devices': { build: async () => ({ status: 200 }) },
  'DELETE /api/v1/me/devices/:id/trust': {
    crossTenant: 'DEVICE_NOT_FOUND',
    build: async ({ scene, who, agent }) => {
      if (who !== 'none' && who !== 'otherOwner') {
        const mine = (await agent.get('/api/v1/me/devices')).body.devices.find((device: { current: boolean }) => device.current);
        return { url: `/api/v1/me/devices/${mine.id}/trust`, status: 204 };
      }
      // Someone else's: a browser A's owner trusts, which must stay trusted.
      const browser = new TestAgent(h.app);
      await browser.post('/api/v1/auth/login', { email: scene.a.owner.email, password: scene.a.owner.password });
      const trusted = await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, scene.a.owner.totpSecret!), trustDevice: true });
      expect(trusted.body.status).toBe('authenticated');
      const device = (await browser.get('/api/v1/me/devices')).body.devices.find((item: { current: boolean }) => item.current);
      return {
        url: `/api/v1/me/devices/${device.id}/trust`,
        status: 204,
        untouched: async () => expect((await browser.get('/api/v1/me/devices')).body.devices.find((item: { id: string }) => item.id === device.id).trustedUntil).not.toBeNull(),
      };
    },
  },
  'POST /api/v1/me/devices/end-trust': { build: async () => ({ status: 200 }) },
  // ----- the organisation -----
  'GET /api/v1/organisation': { build: async () => ({ status: 200 }) },
  'PATCH /api/v1/organisation': { build: async () => ({ body: { city: `Utrecht ${unique()}` }, status: 200 }) },
  'GET /api/v1/organisation/security-policy': { build: async () => ({ status: 200 }) },
  'PUT /api/v1/organisation/security-policy': { build: async () => ({ body: defaultSecurityPolicy, status: 200 }) },
  // ----- the practice's files -----
  'GET /api/v1/organisation/files': { build: async () => ({ status: 200 }) },
  'POST /api/v1/organisation/files': { build: async () => ({ upload: { name: `Policy ${unique()}.pdf`, content: samplePdf('policy') }, status: 201 }) },
  'GET /api/v1/organisation/files/:id/content': fileRoute((file) => ({ url: `/api/v1/organisation/files/${file.id}/content`, status: 200 })),
  'DELETE /api/v1/organisation/files/:id': fileRoute((file) => ({ url: `/api/v1/organisation/files/${file.id}`, status: 204 })),
  // ----- staff -----
  'GET /api/v1/staff': { build: async () => ({ status: 200 }) },
  'PATCH /api/v1/staff/:id': memberRoute(async (target) => ({ url: `/api/v1/staff/${target.membershipId}`, body: { role: 'assistant' }, status: 200 })),
  'POST /api/v1/staff/:id/deactivate': memberRoute(async (target) => ({ url: `/api/v1/staff/${target.membershipId}/deactivate`, status: 200 })),
  'POST /api/v1/staff/:id/reactivate': memberRoute(async (target) => ({ url: `/api/v1/staff/${target.membershipId}/reactivate`, status: 200, startsDeactivated: true })),
  'POST /api/v1/staff/:id/end-sessions': memberRoute(async (target) => ({ url: `/api/v1/staff/${target.membershipId}/end-sessions`, status: 200 })),
  'POST /api/v1/staff/:id/reset-second-factor': memberRoute(async (target) => ({ url: `/api/v1/staff/${target.membershipId}/reset-second-factor`, body: { identityCheck: 'in_person' }, status: 200 })),
  // ----- invitations -----
  'GET /api/v1/invitations': { build: async () => ({ status: 200 }) },
  'POST /api/v1/invitations': { build: async () => ({ body: { email: `invitee-${unique()}@example.org`, role: 'assistant' }, status: 201 }) },
  'DELETE /api/v1/invitations/:id': {
    crossTenant: 'INVITATION_NOT_FOUND',
    build: async ({ scene }) => {
      const invitation = await newInvitation(scene);
      return {
        url: `/api/v1/invitations/${invitation.id}`,
        status: 204,
        untouched: async () => {
          const pending = await (await ownerOfA(scene)).get('/api/v1/invitations');
          expect(pending.body.invitations.map((i: { id: string }) => i.id)).toContain(invitation.id);
          expect((await new TestAgent(h.app).post('/api/v1/invitations/preview', { token: invitation.token })).status).toBe(200);
        },
      };
    },
  },
  'POST /api/v1/invitations/preview': { build: async ({ scene }) => ({ body: { token: (await newInvitation(scene)).token }, status: 200 }) },
  'POST /api/v1/invitations/accept': {
    build: async ({ scene }) => ({ body: { token: (await newInvitation(scene)).token, password: strongPassword(), name: `Invitee ${unique()}` }, status: 200 }),
  },
  // ----- custom roles -----
  'GET /api/v1/roles': { build: async () => ({ status: 200 }) },
  'POST /api/v1/roles': { build: async () => ({ body: { name: `Role ${unique()}`, permissions: ['patient:read'] }, status: 201 }) },
  'PATCH /api/v1/roles/:id': customRoleRoute((role) => ({ url: `/api/v1/roles/${role.id}`, body: { name: `Renamed ${unique()}` }, status: 200 })),
  'DELETE /api/v1/roles/:id': customRoleRoute((role) => ({ url: `/api/v1/roles/${role.id}`, status: 204 })),
  // ----- audit -----
  'GET /api/v1/audit-events': { build: async () => ({ status: 200 }) },
  // ----- patients -----
  'GET /api/v1/patients': { build: async () => ({ status: 200 }) },
  'POST /api/v1/patients/search': { build: async () => ({ body: { q: `nobody${unique()}` }, status: 200 }) },
  'POST /api/v1/patients': { build: async () => ({ body: patientBody(), status: 201 }) },
  'GET /api/v1/patients/:id': patientRoute((patient) => ({ url: `/api/v1/patients/${patient.id}`, status: 200 })),
  'PATCH /api/v1/patients/:id': patientRoute((patient, { who }) => ({ url: `/api/v1/patients/${patient.id}`, body: { notes: `Changed by ${who} ${unique()}` }, status: 200 })),
  // ----- patient portal invitations -----
  'GET /api/v1/patients/:id/portal': patientRoute((patient) => ({ url: `/api/v1/patients/${patient.id}/portal`, status: 200 })),
  'POST /api/v1/patients/:id/invitation': invitationRoute(false, (patient) => ({ url: `/api/v1/patients/${patient.id}/invitation`, body: { locale: 'en' }, status: 201 })),
  'DELETE /api/v1/patients/:id/invitation': invitationRoute(true, (patient) => ({ url: `/api/v1/patients/${patient.id}/invitation`, status: 204 })),
  'POST /api/v1/patient-invitations/preview': { build: async ({ scene }) => ({ body: { token: (await newPatientInvitation(scene)).token }, status: 200 }) },
  'POST /api/v1/patient-invitations/accept': {
    build: async ({ scene }) => ({ body: { token: (await newPatientInvitation(scene)).token, password: strongPassword(), name: `Patient ${unique()}` }, status: 200 }),
  },
  // ----- dossier -----
  'GET /api/v1/patients/:id/dossier': patientRoute((patient) => ({ url: `/api/v1/patients/${patient.id}/dossier`, status: 200 })),
  'POST /api/v1/patients/:id/entries': patientRoute((patient, { who }) => ({ url: `/api/v1/patients/${patient.id}/entries`, body: { kind: 'note', content: { text: `Written by ${who} ${unique()}` }, effectiveAt: '2026-11-20T10:00:00+01:00' }, status: 201 })),
  'GET /api/v1/patients/:id/entries/:entryId': entryRoute(({ patientId, entryId }) => ({ url: `/api/v1/patients/${patientId}/entries/${entryId}`, status: 200 })),
  'GET /api/v1/patients/:id/entries/:entryId/versions': entryRoute(({ patientId, entryId }) => ({ url: `/api/v1/patients/${patientId}/entries/${entryId}/versions`, status: 200 })),
  'PUT /api/v1/patients/:id/entries/:entryId': entryRoute(({ patientId, entryId }, { who }) => ({ url: `/api/v1/patients/${patientId}/entries/${entryId}`, body: { expectedVersion: 1, content: { text: `Revised by ${who}` }, effectiveAt: '2026-11-20T10:00:00+01:00' }, status: 200 })),
  'POST /api/v1/patients/:id/entries/:entryId/entered-in-error': entryRoute(({ patientId, entryId }) => ({ url: `/api/v1/patients/${patientId}/entries/${entryId}/entered-in-error`, body: { reason: 'Wrong patient' }, status: 200 })),
  // ----- patient documents -----
  'GET /api/v1/patients/:id/documents': documentRoute(false, ({ patientId }) => ({ url: `/api/v1/patients/${patientId}/documents`, status: 200 })),
  'POST /api/v1/patients/:id/documents': documentRoute(false, ({ patientId }) => ({ url: `/api/v1/patients/${patientId}/documents`, upload: { name: `Scan ${unique()}.pdf`, content: samplePdf('scan') }, status: 201 })),
  'GET /api/v1/patients/:id/documents/:docId/content': documentRoute(true, ({ patientId, documentId }) => ({ url: `/api/v1/patients/${patientId}/documents/${documentId}/content`, status: 200 })),
  'PUT /api/v1/patients/:id/documents/:docId/sharing': documentRoute(true, ({ patientId, documentId }) => ({ url: `/api/v1/patients/${patientId}/documents/${documentId}/sharing`, body: { shared: true }, status: 200 })),
  // ----- the patient portal (each patient about themself) and patients' comments -----
  'GET /api/v1/portal/me': portalRoute((self, cell) => ({ status: 200, after: (response) => { expect(response.body.patient.id).toBe(self.patientId); onlySelf(self, cell)(response); } })),
  'PATCH /api/v1/portal/me/contact': portalRoute((self, cell) => ({ body: { phone: '+31 6 12345678' }, status: 200, after: (response) => { expect(response.body.patient).toMatchObject({ id: self.patientId, contact: { phone: '+31 6 12345678' } }); onlySelf(self, cell)(response); } })),
  'GET /api/v1/portal/documents': portalRoute((self, cell) => ({ status: 200, after: onlySelf(self, cell) })),
  'GET /api/v1/portal/documents/:id/content': portalRoute(async (self, cell) => ({ url: `/api/v1/portal/documents/${await sharedDocumentOf(cell.scene, self.patientId)}/content`, status: 200 })),
  'GET /api/v1/portal/comments': portalRoute((self, cell) => ({ status: 200, after: onlySelf(self, cell) })),
  'POST /api/v1/portal/comments': portalRoute((self, cell) => ({ body: { kind: 'comment', text: `From the matrix ${unique()}` }, status: 201, after: onlySelf(self, cell) })),
  'GET /api/v1/portal/access-log': portalRoute((self, cell) => ({ status: 200, after: onlySelf(self, cell) })),
  'GET /api/v1/patients/:id/comments': patientRoute((patient) => ({ url: `/api/v1/patients/${patient.id}/comments`, status: 200 })),
  'POST /api/v1/patients/:id/comments/:commentId/resolve': {
    crossTenant: 'PATIENT_NOT_FOUND',
    patient: true,
    async build(cell) {
      // A fresh open comment of P's per cell, written by P in the portal; `untouched`: still open.
      const written = await (await signIn(cell.scene.people.patientSelf)).agent.post('/api/v1/portal/comments', { kind: 'correction_request', text: `Please correct ${unique()}` });
      expect(written.status).toBe(201);
      const reader = (await signIn(cell.scene.people.practitionerInTeam)).agent;
      const url = `/api/v1/patients/${cell.scene.patient.id}/comments`;
      const stillOpen = async () => expect((await reader.get(url)).body.comments.find((c: { id: string }) => c.id === written.body.id)).toMatchObject({ status: 'open', resolution: null });
      return { url: `${url}/${written.body.id}/resolve`, body: { resolution: `Answered ${unique()}` }, status: 200, untouched: stillOpen };
    },
  },
  // ----- care teams and break-the-glass (every cell has a scene of its own route) -----
  'GET /api/v1/patients/:id/care-team': patientRoute((patient) => ({ url: `/api/v1/patients/${patient.id}/care-team`, status: 200 })),
  'PUT /api/v1/patients/:id/care-team/:membershipId': careTeamRoute(false, ({ patientId, membershipId }) => ({ url: `/api/v1/patients/${patientId}/care-team/${membershipId}`, body: { roleInTeam: 'member' }, status: 200 })),
  'DELETE /api/v1/patients/:id/care-team/:membershipId': careTeamRoute(true, ({ patientId, membershipId }) => ({ url: `/api/v1/patients/${patientId}/care-team/${membershipId}`, status: 204 })),
  // Inside the care team there is nothing to break (409); a running grant is returned as it is (200).
  'POST /api/v1/patients/:id/break-glass': patientRoute((patient, { who }) => ({
    url: `/api/v1/patients/${patient.id}/break-glass`,
    body: { reasonCode: 'emergency' },
    ...(who === 'practitionerInTeam' ? { status: 409, code: 'BREAK_GLASS_NOT_NEEDED' as const } : { status: who === 'practitionerWithGrant' ? 200 : 201 }),
  })),
  'DELETE /api/v1/patients/:id/break-glass': {
    crossTenant: 'PATIENT_NOT_FOUND',
    patient: true,
    async build(cell) {
      const built = await patientRoute((patient) => ({ url: `/api/v1/patients/${patient.id}/break-glass`, status: 204 })).build(cell);
      // Each allowed person of practice A ends a grant of their own (the scene's one, or one written here).
      if (cell.person && cell.person.role !== 'patient' && cell.who !== 'otherOwner' && cell.who !== 'practitionerWithGrant' && builtInRoles[cell.person.role].includes('breakglass:use')) {
        const person = cell.person;
        const now = h.clock.now();
        await h.db.tenant(cell.scene.a.orgId, (tx) =>
          tx.insert(breakGlassGrants).values({ orgId: cell.scene.a.orgId, id: crypto.randomUUID(), patientId: cell.scene.patient.id, membershipId: person.membershipId, accountId: person.accountId, reasonCode: 'emergency', grantedAt: now, expiresAt: new Date(now.getTime() + 86_400_000) }),
        );
      }
      return built;
    },
  },
};

/** access.denied records of practice A at patient P (core/authz refusals), read by A's owner. */
async function patientDeniedRecords(scene: Scene, actor?: string) {
  const query = new URLSearchParams({ action: 'access.denied', patient: scene.patient.id, limit: '200', ...(actor ? { actor } : {}) });
  const page = await (await ownerOfA(scene)).get(`/api/v1/audit-events?${query}`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ actorAccountId: string; actorRole: string; outcome: string; patientId: string }>;
}

/** access.denied records of practice A (or B) for one route, read by that practice's owner. */
async function deniedRecords(scene: Scene, resourceId: string, actor?: string, practice: 'a' | 'b' = 'a') {
  const query = new URLSearchParams({ action: 'access.denied', resourceId, limit: '200', ...(actor ? { actor } : {}) });
  const reader = practice === 'a' ? await ownerOfA(scene) : (await signIn(scene.b.owner)).agent;
  const page = await reader.get(`/api/v1/audit-events?${query}`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ actorAccountId: string; actorRole: string; outcome: string; resourceType: string; resourceId: string }>;
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/**
 * Defines this shard's part of the matrix: every `count`-th route from `index` (by registration
 * order), and the cross-practice checks in the last shard. The matrix is the longest test file by
 * far; two files (`routes.authorization*.int.test.ts`) let vitest's two workers share it, which
 * keeps CI inside its time budget.
 */
export function defineMatrix(shard: { index: number; count: number }): void {
  describe.each(apiRoutes.filter((_, index) => index % shard.count === shard.index).map((route) => [label(route), route] as const))('%s', (key, route) => {
    const routeCase = cases[key];
    let scene: Scene;
    const denied: string[] = [];
    const deniedInB: string[] = [];
    const patientDenied: string[] = [];

    beforeAll(async () => {
      scene = await createScene();
    });

    it.each(principals)('as %s', async (who) => {
      expect(routeCase, `no request builder for ${key}: add one to \`cases\``).toBeDefined();
      expect(route.access, `${key} declares no access`).toBeDefined();
      const access = route.access!;
      const expected = expectedOutcome(access, who, routeCase);
      const person = who === 'none' ? null : scene.people[who];
      const agent = person ? (await signIn(person)).agent : new TestAgent(h.app);
      const built = await routeCase!.build({ scene, who, person, agent });
      const response = built.upload ? await agent.upload(built.url ?? route.url, built.upload) : await agent.request(route.method as 'GET', built.url ?? route.url, built.body);
      const shown = `${key} as ${who}: ${response.status} ${JSON.stringify(response.body)}`;

      switch (expected.kind) {
        case 'allowed':
          expect([401, 403], shown).not.toContain(response.status);
          expect(response.status, shown).toBe(built.status);
          if (built.code) expect(response.body.error.code, shown).toBe(built.code);
          await built.after?.(response);
          break;
        case 'refused':
          expect(response.status, shown).toBe(expected.status);
          expect(response.body.error.code, shown).toBe(expected.code);
          await built.untouched?.();
          if (expected.audited === 'route') {
            const practice = who === 'otherOwner' ? 'b' : 'a';
            const records = await deniedRecords(scene, `${route.method} ${route.url}`, person!.accountId, practice);
            expect(records, shown).toHaveLength(1);
            expect(records[0]).toMatchObject({ outcome: 'denied', resourceType: 'route', actorRole: roleOf(who as Person) });
            (practice === 'b' ? deniedInB : denied).push(person!.accountId);
          }
          if (expected.audited === 'patient') {
            const records = await patientDeniedRecords(scene, person!.accountId);
            expect(records, shown).toHaveLength(1);
            expect(records[0]).toMatchObject({ outcome: 'denied', patientId: scene.patient.id, actorRole: roleOf(who as Person) });
            patientDenied.push(person!.accountId);
          }
          break;
        case 'hidden':
          expect(response.status, shown).toBe(404);
          expect(response.body.error.code, shown).toBe(expected.code);
          expect(built.untouched, `${key} needs an \`untouched\` re-read for its cross-tenant case`).toBeDefined();
          await built.untouched!();
          break;
      }
    });

    it('records exactly the refused principals as access.denied in their own practice, and nothing in the other', async () => {
      const records = await deniedRecords(scene, `${route.method} ${route.url}`);
      expect(records.map((record) => record.actorAccountId).sort()).toEqual([...denied].sort());
      const atPatient = await patientDeniedRecords(scene);
      expect(atPatient.map((record) => record.actorAccountId).sort()).toEqual([...patientDenied].sort());
      const inB = await (await signIn(scene.b.owner)).agent.get('/api/v1/audit-events?action=access.denied');
      expect(inB.body.events.map((record: { actorAccountId: string }) => record.actorAccountId)).toEqual(deniedInB);
    });
  });

  if (shard.index !== shard.count - 1) return;
  describe('across practices', () => {
    let scene: Scene;
    beforeAll(async () => {
      scene = await createScene();
    });

    it("never shows one practice's audit trail to another", async () => {
      // Give A a varied trail: a denial, a role change, an invitation.
      expect((await scene.people.practitionerInTeam.agent.get('/api/v1/staff')).status).toBe(403);
      const owner = await ownerOfA(scene);
      expect((await owner.patch(`/api/v1/staff/${scene.people.assistant.membershipId}`, { role: 'practitioner' })).status).toBe(200);
      scene.people.assistant.role = 'practitioner';
      await newInvitation(scene);
      const ofA = await owner.get('/api/v1/audit-events?limit=200');
      const idsOfA = new Set<number>(ofA.body.events.map((event: { id: number }) => event.id));
      expect(idsOfA.size).toBeGreaterThan(5);

      const other = (await signIn(scene.b.owner)).agent;
      const queries = [
        'limit=200',
        'action=access.denied',
        'action=member.role_changed',
        'action=invitation.sent',
        `actor=${scene.a.owner.accountId}`,
        `actor=${scene.people.practitionerInTeam.accountId}`,
        `resourceId=${scene.people.assistant.membershipId}`,
        `resourceType=membership`,
      ];
      for (const query of queries) {
        const page = await other.get(`/api/v1/audit-events?${query}`);
        expect(page.status, query).toBe(200);
        for (const event of page.body.events as Array<{ id: number; actorAccountId: string | null }>) {
          expect(idsOfA.has(event.id), `${query}: event ${event.id} of practice A`).toBe(false);
          expect(Object.values(scene.people).filter((p) => p !== scene.b.owner).map((p) => p.accountId)).not.toContain(event.actorAccountId);
        }
      }
      // And the other way round: A sees nothing of B's sign-up and logins.
      const ofB = await other.get('/api/v1/audit-events?limit=200');
      const idsOfB = new Set<number>(ofB.body.events.map((event: { id: number }) => event.id));
      const again = await (await ownerOfA(scene)).get('/api/v1/audit-events?limit=200');
      for (const event of again.body.events as Array<{ id: number }>) expect(idsOfB.has(event.id)).toBe(false);
    });

    it("refuses to switch a session into another practice (404 NOT_FOUND), and the session stays where it was", async () => {
      const { agent } = await signIn(scene.b.owner);
      const response = await agent.post('/api/v1/auth/select-organisation', { organisationId: scene.a.orgId });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('NOT_FOUND');
      const me = await agent.get('/api/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.organisation.id).toBe(scene.b.orgId);
      const staff = await agent.get('/api/v1/staff');
      expect(staff.body.members.map((m: { email: string }) => m.email)).toEqual([scene.b.owner.email]);
    });

    it("ignores another practice's id at login: the session opens in my own practice", async () => {
      const { login } = await signInWithFactors(h, scene.b.owner, { organisationId: scene.a.orgId });
      expect(login.status).toBe(200);
      expect(login.body.me.organisation.id).toBe(scene.b.orgId);
      expect(login.body.me.organisations.map((o: { id: string }) => o.id)).toEqual([scene.b.orgId]);
    });

    it("cannot use another practice's unknown or real ids to learn anything: same 404 either way", async () => {
      const { agent } = await signIn(scene.b.owner);
      const real = await agent.patch(`/api/v1/staff/${scene.people.admin.membershipId}`, { role: 'assistant' });
      const made_up = await agent.patch(`/api/v1/staff/${aUuid()}`, { role: 'assistant' });
      expect(real.status).toBe(404);
      expect(made_up.status).toBe(404);
      expect({ ...real.body.error, requestId: '' }).toEqual({ ...made_up.body.error, requestId: '' });
      expect(await memberOfA(scene, scene.people.admin.membershipId)).toMatchObject({ role: 'admin', status: 'active' });
    });
  });
}
