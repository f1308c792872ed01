-- Issue 5, increment 4: sign-in and GET /me list a person's memberships across practices in the
-- system scope (accounts/repository.ts#activeMembershipsOfAccount), and a membership with a
-- custom role needs that role's name and permissions there. Read-only, like the system_read
-- policies on organisations and memberships; writes stay tenant-scoped.
CREATE POLICY system_read ON custom_roles FOR SELECT USING (haven_system_scope());
