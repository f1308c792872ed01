import pg from 'pg';
import { requestRole } from './database.ts';

export interface ServingRoleReport {
  role: string;
  superuserOrBypass: boolean;
  ownsTables: boolean;
  canActAsRequestRole: boolean;
}

/**
 * What the role of DATABASE_URL is allowed to do, read on a plain connection before the server
 * uses it. Row-level security only walls tenants off from a role that is neither superuser (or
 * BYPASSRLS) nor owner of the tables, and every transaction switches to `haven_app`, which the
 * login role must be (or be a member of).
 */
export async function inspectServingRole(url: string): Promise<ServingRoleReport> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ role: string; elevated: boolean; owned: number; member: boolean }>(
      `select session_user as role,
              (select rolsuper or rolbypassrls from pg_roles where rolname = session_user) as elevated,
              (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = session_user) as owned,
              coalesce(pg_has_role(session_user, (select oid from pg_roles where rolname = $1), 'MEMBER'), false) as member`,
      [requestRole],
    );
    const row = rows[0]!;
    return { role: row.role, superuserOrBypass: row.elevated, ownsTables: row.owned > 0, canActAsRequestRole: row.member };
  } finally {
    await client.end();
  }
}
