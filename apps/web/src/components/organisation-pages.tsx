import type { Permission } from '@haven/contracts';
import type { ReactNode } from 'react';
import { AuditIcon, BuildingIcon, RoleBadgeIcon, ShieldIcon, UsersIcon } from './icons';

/**
 * The practice's management pages and the permission each needs (the same one its API routes
 * declare), for the navigation and the home page's shortcuts. Which pages someone sees follows
 * their role's permissions, so a custom role shows exactly its pages.
 */
export interface OrganisationPage {
  to: string;
  navKey: 'nav.staff' | 'nav.roles' | 'nav.security' | 'nav.audit' | 'nav.details';
  cardKey: 'home.cards.staff' | 'home.cards.roles' | 'home.cards.security' | 'home.cards.audit' | 'home.cards.details';
  icon: ReactNode;
  permission: Permission;
}

export const organisationPages: readonly OrganisationPage[] = [
  { to: '/staff', navKey: 'nav.staff', cardKey: 'home.cards.staff', icon: <UsersIcon />, permission: 'staff:manage' },
  { to: '/roles', navKey: 'nav.roles', cardKey: 'home.cards.roles', icon: <RoleBadgeIcon />, permission: 'role:manage' },
  { to: '/organisation/security', navKey: 'nav.security', cardKey: 'home.cards.security', icon: <ShieldIcon />, permission: 'policy:manage' },
  { to: '/audit', navKey: 'nav.audit', cardKey: 'home.cards.audit', icon: <AuditIcon />, permission: 'audit:read' },
  { to: '/organisation/details', navKey: 'nav.details', cardKey: 'home.cards.details', icon: <BuildingIcon />, permission: 'organisation:manage' },
];
