import { describe, expect, it } from 'vitest';
import { staffRoles } from './roles.ts';
import { builtInRoles, careTeamScoped, managingPermissions, permissions, roleHas } from './permissions.ts';

describe('the permission catalogue', () => {
  it('gives each built-in role only catalogued permissions, each once', () => {
    for (const role of staffRoles) {
      const granted = builtInRoles[role];
      expect(new Set(granted).size, role).toBe(granted.length);
      for (const permission of granted) expect(permissions).toContain(permission);
    }
  });

  it('keeps clinical content from administrators and assistants', () => {
    for (const permission of careTeamScoped) {
      expect(roleHas('admin', permission), permission).toBe(false);
      expect(roleHas('assistant', permission), permission).toBe(false);
      expect(roleHas('practitioner', permission), permission).toBe(true);
    }
    expect(roleHas('admin', 'breakglass:use')).toBe(false);
    expect(roleHas('practitioner', 'breakglass:use')).toBe(true);
  });

  it('lets only owners and admins manage the practice, and only owners export', () => {
    for (const permission of managingPermissions) {
      expect(roleHas('practitioner', permission), permission).toBe(false);
      expect(roleHas('assistant', permission), permission).toBe(false);
    }
    expect(roleHas('owner', 'export:run')).toBe(true);
    expect(roleHas('admin', 'export:run')).toBe(false);
    expect(roleHas('admin', 'careteam:manage')).toBe(true);
  });

  it('gives the owner every permission', () => {
    expect([...builtInRoles.owner].sort()).toEqual([...permissions].sort());
  });
});
