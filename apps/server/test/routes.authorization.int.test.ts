import { describe, expect, it } from 'vitest';
import { needsStepUp } from '../src/core/http/access.ts';
import { apiRoutes, cases, defineMatrix, h, isDocumentation, label, routes } from './authorization-matrix.ts';

/*
 * The authorization matrix, first half (the route table, its reviewed access policy, and every
 * other route); the rest is in routes.authorization.second.int.test.ts. How the matrix works is
 * described in ./authorization-matrix.ts.
 */

describe('the route table', () => {
  it('finds the API routes of the running app', () => {
    expect(apiRoutes.length).toBeGreaterThanOrEqual(Object.keys(cases).length);
  });

  it('has an access declaration on every API route', () => {
    const undeclared = routes.filter((route) => route.url.startsWith('/api/') && !isDocumentation(route.url) && !route.access).map(label);
    expect(undeclared).toEqual([]);
  });

  it('has a request builder for every API route, and none for a route that is gone', () => {
    const registered = apiRoutes.map(label);
    expect(registered.filter((key) => !(key in cases))).toEqual([]);
    expect(Object.keys(cases).filter((key) => !registered.includes(key))).toEqual([]);
  });

  // The matrix below follows each route's declaration, so it cannot notice a declaration that is
  // itself too loose. This reviewed snapshot can: changing who may call a route shows up here
  // and has to be accepted on purpose (vitest -u) in the same review.
  it('declares the reviewed access policy', () => {
    const policy = Object.fromEntries(
      apiRoutes.map((route) => {
        const declared = route.access;
        const base = declared?.level === 'member' && declared.permissions ? `can: ${declared.permissions.join(', ')}` : declared?.level;
        const flags = [declared?.level === 'account' && declared.duringEnrolment ? 'during enrolment' : '', needsStepUp(declared!) ? 'step-up' : ''].filter(Boolean);
        return [label(route), flags.length ? `${base} (${flags.join(', ')})` : base];
      }),
    );
    expect(policy).toMatchInlineSnapshot(`
      {
        "DELETE /api/v1/invitations/:id": "can: staff:manage",
        "DELETE /api/v1/me/devices/:id/trust": "account",
        "DELETE /api/v1/me/email-code": "account (step-up)",
        "DELETE /api/v1/me/passkeys/:id": "account (step-up)",
        "DELETE /api/v1/me/phone": "account (step-up)",
        "DELETE /api/v1/me/totp": "account (step-up)",
        "DELETE /api/v1/organisation/files/:id": "can: files:manage",
        "DELETE /api/v1/patients/:id/break-glass": "can: breakglass:use",
        "DELETE /api/v1/patients/:id/care-team/:membershipId": "can: careteam:manage",
        "DELETE /api/v1/patients/:id/invitation": "can: patient:invite",
        "DELETE /api/v1/roles/:id": "can: role:manage (step-up)",
        "DELETE /api/v1/sessions/:id": "account",
        "GET /api/v1/audit-events": "can: audit:read (step-up)",
        "GET /api/v1/auth/second-factor": "second_factor",
        "GET /api/v1/auth/session": "public",
        "GET /api/v1/invitations": "can: staff:manage",
        "GET /api/v1/me": "account (during enrolment)",
        "GET /api/v1/me/devices": "account",
        "GET /api/v1/me/passkeys": "account (during enrolment)",
        "GET /api/v1/me/security": "account (during enrolment)",
        "GET /api/v1/organisation": "member",
        "GET /api/v1/organisation/files": "member",
        "GET /api/v1/organisation/files/:id/content": "member",
        "GET /api/v1/organisation/security-policy": "can: policy:manage",
        "GET /api/v1/password-policy": "public",
        "GET /api/v1/patients": "can: patient:read",
        "GET /api/v1/patients/:id": "can: patient:read",
        "GET /api/v1/patients/:id/care-team": "can: patient:read",
        "GET /api/v1/patients/:id/comments": "can: dossier:read",
        "GET /api/v1/patients/:id/documents": "can: document:read",
        "GET /api/v1/patients/:id/documents/:docId/content": "can: document:read",
        "GET /api/v1/patients/:id/dossier": "can: dossier:read",
        "GET /api/v1/patients/:id/entries/:entryId": "can: dossier:read",
        "GET /api/v1/patients/:id/entries/:entryId/versions": "can: dossier:read",
        "GET /api/v1/patients/:id/portal": "can: patient:read",
        "GET /api/v1/portal/access-log": "patient",
        "GET /api/v1/portal/comments": "patient",
        "GET /api/v1/portal/documents": "patient",
        "GET /api/v1/portal/documents/:id/content": "patient",
        "GET /api/v1/portal/me": "patient",
        "GET /api/v1/roles": "member",
        "GET /api/v1/sessions": "account",
        "GET /api/v1/staff": "can: staff:manage",
        "PATCH /api/v1/me": "account",
        "PATCH /api/v1/me/passkeys/:id": "account (step-up)",
        "PATCH /api/v1/organisation": "can: organisation:manage",
        "PATCH /api/v1/patients/:id": "can: patient:update",
        "PATCH /api/v1/portal/me/contact": "patient",
        "PATCH /api/v1/roles/:id": "can: role:manage (step-up)",
        "PATCH /api/v1/staff/:id": "can: staff:manage",
        "POST /api/v1/auth/confirm-sign-in": "public",
        "POST /api/v1/auth/confirm-sign-in/continue": "held",
        "POST /api/v1/auth/heartbeat": "account",
        "POST /api/v1/auth/lock": "account",
        "POST /api/v1/auth/login": "public",
        "POST /api/v1/auth/logout": "public",
        "POST /api/v1/auth/not-me": "public",
        "POST /api/v1/auth/passkey": "public",
        "POST /api/v1/auth/passkey/options": "public",
        "POST /api/v1/auth/password-reset": "public",
        "POST /api/v1/auth/password-reset/confirm": "public",
        "POST /api/v1/auth/second-factor": "second_factor",
        "POST /api/v1/auth/second-factor/passkey": "second_factor",
        "POST /api/v1/auth/second-factor/passkey/options": "second_factor",
        "POST /api/v1/auth/second-factor/send": "second_factor",
        "POST /api/v1/auth/select-organisation": "account",
        "POST /api/v1/auth/step-up": "account",
        "POST /api/v1/auth/step-up/passkey": "account",
        "POST /api/v1/auth/step-up/passkey/options": "account",
        "POST /api/v1/auth/step-up/send": "account",
        "POST /api/v1/auth/unlock": "locked",
        "POST /api/v1/auth/verify-email": "public",
        "POST /api/v1/invitations": "can: staff:manage",
        "POST /api/v1/invitations/accept": "public",
        "POST /api/v1/invitations/preview": "public",
        "POST /api/v1/me/devices/end-trust": "account",
        "POST /api/v1/me/email-code/confirm": "account (during enrolment, step-up)",
        "POST /api/v1/me/email-code/setup": "account (during enrolment, step-up)",
        "POST /api/v1/me/email/confirm": "public",
        "POST /api/v1/me/passkeys": "account (during enrolment, step-up)",
        "POST /api/v1/me/passkeys/registration-options": "account (during enrolment, step-up)",
        "POST /api/v1/me/password": "account",
        "POST /api/v1/me/phone": "account (during enrolment, step-up)",
        "POST /api/v1/me/phone/confirm": "account (during enrolment, step-up)",
        "POST /api/v1/me/recovery-codes": "account (step-up)",
        "POST /api/v1/me/totp/confirm": "account (during enrolment, step-up)",
        "POST /api/v1/me/totp/setup": "account (during enrolment, step-up)",
        "POST /api/v1/organisation/files": "can: files:manage",
        "POST /api/v1/patient-invitations/accept": "public",
        "POST /api/v1/patient-invitations/preview": "public",
        "POST /api/v1/patients": "can: patient:create",
        "POST /api/v1/patients/:id/break-glass": "can: breakglass:use (step-up)",
        "POST /api/v1/patients/:id/comments/:commentId/resolve": "can: dossier:write",
        "POST /api/v1/patients/:id/documents": "can: document:upload",
        "POST /api/v1/patients/:id/entries": "can: dossier:write",
        "POST /api/v1/patients/:id/entries/:entryId/entered-in-error": "can: dossier:write",
        "POST /api/v1/patients/:id/invitation": "can: patient:invite",
        "POST /api/v1/patients/search": "can: patient:read",
        "POST /api/v1/portal/comments": "patient",
        "POST /api/v1/roles": "can: role:manage (step-up)",
        "POST /api/v1/sessions/end-others": "account",
        "POST /api/v1/signup": "public",
        "POST /api/v1/staff/:id/deactivate": "can: staff:manage",
        "POST /api/v1/staff/:id/end-sessions": "can: staff:manage",
        "POST /api/v1/staff/:id/reactivate": "can: staff:manage",
        "POST /api/v1/staff/:id/reset-second-factor": "can: staff:manage (step-up)",
        "PUT /api/v1/organisation/security-policy": "can: policy:manage (step-up)",
        "PUT /api/v1/patients/:id/care-team/:membershipId": "can: careteam:manage",
        "PUT /api/v1/patients/:id/documents/:docId/sharing": "can: document:share",
        "PUT /api/v1/patients/:id/entries/:entryId": "can: dossier:write",
      }
    `);
  });

  it('guards the automatic HEAD routes like their GET routes', async () => {
    const heads = routes.filter((route) => route.method === 'HEAD' && route.url.startsWith('/api/v1/'));
    expect(heads.length).toBeGreaterThan(0);
    for (const head of heads) {
      const get = apiRoutes.find((route) => route.method === 'GET' && route.url === head.url);
      expect(head.access, head.url).toEqual(get?.access);
      const response = await h.app.inject({ method: 'HEAD', url: head.url });
      if (head.access?.level === 'public') expect(response.statusCode, head.url).toBe(200);
      else expect(response.statusCode, head.url).toBe(401);
    }
  });
});

defineMatrix({ index: 0, count: 2 });
