/**
 * The database functions the server may call in one statement (`Database.callTenantFunction` /
 * `callIdentityFunction`). Each is a constant: a statement name and SQL text that calls one
 * plpgsql function with positional parameters — never SQL a caller builds. The function sets its
 * own context first (see docs/design/patients-and-dossiers.md §6.1):
 *
 * ```sql
 * PERFORM set_config('role', 'haven_app', true),
 *         set_config('app.org_id', p_org::text, true),   -- '' for identity functions
 *         set_config('app.scope', 'request', true);
 *         -- portal functions also set app.patient_id (the portal_self policies read it)
 * ```
 *
 * `is_local = true` makes the settings end with the statement's implicit transaction, so nothing
 * leaks to the next user of the connection. Functions are SECURITY INVOKER (row-level security
 * and haven_app's grants apply; PostgreSQL refuses `SET ROLE` only inside SECURITY DEFINER
 * functions), carry no `SET` clause (it would undo their settings at return, and pin a
 * search_path nobody asked for), and are granted `EXECUTE` to haven_app.
 *
 * The role switch inside the function works on both engines, so neither needs the plan's
 * fallback (dropping the switch on PostgreSQL, a `db.tenant` transaction on PGlite) — checked by
 * core/db/tenant-functions.int.test.ts: PGlite's superuser session drops to haven_app and RLS
 * applies; on PostgreSQL the haven_app login switches to itself, and a superuser login (throwaway
 * test cluster) is dropped to haven_app too, RLS holding. The next statement on the connection
 * is back to the login role with no tenant.
 */
export interface DbFunction {
  /** The prepared statement's name (PostgreSQL prepares it once per connection under this name). */
  readonly name: string;
  /**
   * `select * from haven_<fn>($1, $2, …)`: positional parameters only. For `callTenantFunction`,
   * `$1` is the organisation id (checked to be a UUID), the caller's params follow from `$2`.
   */
  readonly text: string;
  readonly [registered]: true;
}

declare const registered: unique symbol;

const byName = new Map<string, DbFunction>();
const all = new WeakSet<object>();

/**
 * Registers a function call. Names are unique with one text each: pg keeps one prepared statement
 * per name and connection and would refuse (or worse, reuse) a second text under the same name.
 * Define these as module-level constants; tests may register their own probes the same way.
 */
export function defineDbFunction(name: string, text: string): DbFunction {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database function name must be snake_case: ${name}`);
  // One call of one haven_* function with $n parameters: no literals a caller could splice into.
  if (!/^select \* from haven_[a-z0-9_]+\((\$\d+(, \$\d+)*)?\)$/.test(text)) {
    throw new Error(`database function ${name}: text must be "select * from haven_<name>($1, …)"`);
  }
  const existing = byName.get(name);
  if (existing) {
    if (existing.text !== text) throw new Error(`database function ${name} is already registered with another text`);
    return existing;
  }
  const fn = Object.freeze({ name, text }) as DbFunction;
  byName.set(name, fn);
  all.add(fn);
  return fn;
}

/** True only for what `defineDbFunction` returned: a hand-made `{ name, text }` is refused. */
export function isRegisteredDbFunction(fn: object): fn is DbFunction {
  return all.has(fn);
}

/** Every registered function (the production ones: design §6.1 item 3 and §6.2). */
export const dbFunctions = {
  /**
   * `haven_read_session` (migration 202611251230): the open session by its token hash, with the
   * account's active membership (role, custom role permissions, allowlist) or active portal
   * account in the session's practice — features/sessions/repository.ts#readSessionByToken.
   */
  readSession: defineDbFunction('read_session', 'select * from haven_read_session($1)'),
  /**
   * `haven_open_dossier` (migration 202611251300): decides a dossier read from the Requirement
   * Node computed, writes its audit row, and returns the sealed header, the wrapped patient key
   * and one page of entries — features/dossier/service.ts#openDossier.
   */
  openDossier: defineDbFunction('open_dossier', 'select * from haven_open_dossier($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)'),
} as const satisfies Record<string, DbFunction>;
