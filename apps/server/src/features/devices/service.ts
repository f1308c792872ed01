import type { DeviceList } from '@haven/contracts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import { activeMembershipsOfAccount } from '../accounts/repository.ts';
import { deviceEvent } from './audit.ts';
import { countriesOf, devicesOf, revokeAllDeviceTrust, revokeDeviceTrust } from './repository.ts';
import { isCurrentDevice, trustHoursOf, trustedUntil } from './sign-in-decision.ts';

/** My known browsers (sessions page, My security): when seen, from where, trusted until when. */
export async function listMyDevices(ctx: RequestContext): Promise<DeviceList> {
  const principal = signedIn(ctx);
  const { db, clock, fields } = ctx.services;
  const now = clock.now();
  const { devices, countries } = await db.identity(async (tx) => ({ devices: await devicesOf(tx, principal.accountId), countries: await countriesOf(tx, principal.accountId) }));
  const hours = trustHoursOf(await db.systemDb((tx) => activeMembershipsOfAccount(tx, fields, principal.accountId)));
  return {
    devices: devices.map((device) => ({
      id: device.id,
      label: device.label,
      current: isCurrentDevice(principal.accountId, ctx.deviceToken, device),
      firstSeenAt: device.firstSeenAt.toISOString(),
      lastSeenAt: device.lastSeenAt.toISOString(),
      lastCountry: device.lastCountry,
      trustedUntil: trustedUntil(device, hours, now)?.toISOString() ?? null,
    })),
    countries,
    trustedDeviceHours: hours,
  };
}

/** Ends the trust of one of my browsers (its next sign-in asks for the second factor again). */
export async function revokeMyDeviceTrust(ctx: RequestContext, input: { unverifiedDeviceId: string }): Promise<void> {
  const principal = signedIn(ctx);
  await changeAccountAudited(
    ctx.services.db,
    principal.accountId,
    auditMeta(ctx),
    deviceEvent({ action: 'auth.device_trust_revoked', outcome: 'success', resourceType: 'device', resourceId: input.unverifiedDeviceId, reason: 'by_user' }),
    async (tx) => {
      // Someone else's device id is simply not found.
      if (!(await revokeDeviceTrust(tx, principal.accountId, input.unverifiedDeviceId))) throw new AppError('DEVICE_NOT_FOUND');
    },
  );
}

/** Ends the trust of all my browsers; returns how many had it. */
export async function revokeAllMyDeviceTrust(ctx: RequestContext): Promise<number> {
  const principal = signedIn(ctx);
  return changeAccountAudited(
    ctx.services.db,
    principal.accountId,
    auditMeta(ctx),
    (count: number) => [deviceEvent({ action: 'auth.device_trust_revoked', outcome: 'success', resourceType: 'account', resourceId: principal.accountId, reason: `by_user; ${count} devices` })],
    (tx) => revokeAllDeviceTrust(tx, principal.accountId),
  );
}
