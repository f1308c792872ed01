import { z } from 'zod';

/*
 * Known devices, trusted devices and suspicious sign-ins (issue 4). A "device" is a browser that
 * keeps Haven's long-lived device cookie; the server stores only a hash of it.
 */

/** What made a sign-in look suspicious (docs/authentication.md, "Suspicious sign-ins"). */
export const RiskSignal = z.enum(['new_device', 'new_country', 'many_failures', 'impossible_travel']);
export type RiskSignal = z.infer<typeof RiskSignal>;

/** A sign-in held until the person confirms it through the link sent by e-mail (15 minutes). */
export const HeldSignIn = z.object({
  status: z.literal('confirmation_required'),
  /** When the link stops working (ISO 8601). */
  expiresAt: z.string(),
});

/** The "trust this browser" tick that may come with a second-factor answer. */
export const trustDeviceField = { trustDevice: z.boolean().optional() };

export const KnownDevice = z.object({
  id: z.uuid(),
  /** "Chrome on Linux": from the browser's user agent, for people to recognise it. */
  label: z.string(),
  /** This is the browser asking. */
  current: z.boolean(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  /** The country of the last sign-in from it (ISO 3166-1 alpha-2), when known. */
  lastCountry: z.string().nullable(),
  /** Until when it skips the second factor (the password is still asked); null: not trusted. */
  trustedUntil: z.string().nullable(),
});
export type KnownDevice = z.infer<typeof KnownDevice>;

export const DeviceList = z.object({
  devices: z.array(KnownDevice),
  /** The countries this account has signed in from. */
  countries: z.array(z.string()),
  /** The longest trust the person's practices allow now (hours; 0: off). */
  trustedDeviceHours: z.number().int(),
});
export type DeviceList = z.infer<typeof DeviceList>;

/** "This wasn't me": what was done. */
export const NotMeResponse = z.object({ sessionsEnded: z.number().int(), resetLinkSent: z.literal(true) });
