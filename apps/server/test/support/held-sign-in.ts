import { expect } from 'vitest';
import { TestAgent, type TestResponse } from './agent.ts';
import type { TestHarness } from './harness.ts';

/**
 * A held sign-in (features/devices: high risk) as its holder finishes it: the link from the
 * newest "Was this you?" mail is opened (here, in a browser of its own, as on a phone), then the
 * waiting browser continues. Returns the continue answer.
 */
export async function confirmHeldSignIn(h: TestHarness, agent: TestAgent, email: string, linkBrowser?: TestAgent): Promise<TestResponse> {
  const token = h.mailer.lastToken(email, 'sign_in_confirmation');
  const opener = linkBrowser ?? new TestAgent(h.app);
  const confirmed = await opener.post('/api/v1/auth/confirm-sign-in', { token });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  const continued = await agent.post('/api/v1/auth/confirm-sign-in/continue');
  expect(continued.status, JSON.stringify(continued.body)).toBe(200);
  return continued;
}

/** Accepts a sign-in answer that is either let in or held; a held one is confirmed by mail. */
export async function acceptPossiblyHeld(h: TestHarness, agent: TestAgent, email: string, response: TestResponse): Promise<TestResponse> {
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  if (response.body.status !== 'confirmation_required') return response;
  return confirmHeldSignIn(h, agent, email);
}
