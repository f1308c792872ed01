import type { Database, Tx } from '../db/database.ts';
import { open, seal, sealedKeyRef } from './aead.ts';
import { blindIndex, prefixQueryTokens, prefixTokens } from './blind-index.ts';
import type { KeyRing, ScopeKeys } from './key-ring.ts';
import { PatientCipher } from './patient-cipher.ts';
import { Sealed } from './sealed-column.ts';

/**
 * Where a value lives: bound into its additional data, so it opens only there.
 * `scope` is "platform" (global identity data, platform key) or an organisation id (its key).
 */
export interface Place {
  table: string;
  column: string;
  scope: 'platform' | string;
  rowId: string;
}

const context = (place: Place) => `${place.table}:${place.column}:${place.scope}:${place.rowId}`;

/** Seals and opens fields with the right key of the hierarchy; computes blind indexes. */
export class FieldCrypto {
  constructor(private readonly keys: KeyRing) {}

  private scopeKeys(tx: Tx, scope: string, version?: number): Promise<ScopeKeys> {
    return scope === 'platform' ? this.keys.platformKeys(tx, version) : this.keys.organisationKeys(tx, scope, version);
  }

  async seal(tx: Tx, place: Place, value: string): Promise<Sealed> {
    const keys = await this.scopeKeys(tx, place.scope);
    return Sealed.fromBytes(seal(keys.dataKey, keys.ref, value, context(place)));
  }

  async sealOptional(tx: Tx, place: Place, value: string | null | undefined): Promise<Sealed | null> {
    return value === null || value === undefined || value === '' ? null : this.seal(tx, place, value);
  }

  /** Opens with the key version the value names (older versions stay readable after rotation). */
  async open(tx: Tx, place: Place, value: Sealed): Promise<string> {
    const ref = sealedKeyRef(value.bytes);
    const keys = await this.scopeKeys(tx, place.scope, ref.version);
    return open(keys.dataKey, keys.ref, value.bytes, context(place)).toString('utf8');
  }

  async openOptional(tx: Tx, place: Place, value: Sealed | null): Promise<string | null> {
    return value ? this.open(tx, place, value) : null;
  }

  /**
   * For lists: an opener for one scope that resolves each key version once and then opens any
   * number of values with it (a 30-row list no longer asks the key ring 60 times).
   */
  openerFor(tx: Tx, scope: string): (place: Omit<Place, 'scope'>, value: Sealed) => Promise<string> {
    const byVersion = new Map<number, Promise<ScopeKeys>>();
    return async (place, value) => {
      const ref = sealedKeyRef(value.bytes);
      let keys = byVersion.get(ref.version);
      if (!keys) {
        keys = this.scopeKeys(tx, scope, ref.version);
        byVersion.set(ref.version, keys);
      }
      const resolved = await keys;
      return open(resolved.dataKey, resolved.ref, value.bytes, context({ ...place, scope })).toString('utf8');
    };
  }

  /**
   * The same opener for platform values read by a one-statement function, outside any
   * transaction: a cached key costs no round trip, a cold one a short transaction of its own.
   */
  platformOpenerOutside(db: Database): (place: Omit<Place, 'scope'>, value: Sealed) => Promise<string> {
    const byVersion = new Map<number, Promise<ScopeKeys>>();
    return async (place, value) => {
      const ref = sealedKeyRef(value.bytes);
      let keys = byVersion.get(ref.version);
      if (!keys) {
        keys = this.keys.platformKeysOutside(db, ref.version);
        byVersion.set(ref.version, keys);
      }
      const resolved = await keys;
      return open(resolved.dataKey, resolved.ref, value.bytes, context({ ...place, scope: 'platform' })).toString('utf8');
    };
  }

  /** One patient's fields: the key is resolved once here, then sealing and opening are synchronous. */
  forPatient(tx: Tx, orgId: string, patientId: string): Promise<PatientCipher> {
    return PatientCipher.forPatient(this.keys, tx, orgId, patientId);
  }

  /** Prefix tokens of a name in a scope (core/crypto/blind-index.ts#prefixTokens), for storing. */
  async nameTokens(tx: Tx, scope: string, purpose: string, name: string): Promise<Buffer[]> {
    const keys = await this.scopeKeys(tx, scope, 1);
    return prefixTokens(keys.blindIndexKey, purpose, name);
  }

  /** The tokens a typed name search looks up (one per word of 3 or more letters). */
  async nameQueryTokens(tx: Tx, scope: string, purpose: string, typed: string): Promise<Buffer[]> {
    const keys = await this.scopeKeys(tx, scope, 1);
    return prefixQueryTokens(keys.blindIndexKey, purpose, typed);
  }

  /**
   * The blind index of a value in a scope. Index keys come from the scope's first key version and
   * do not rotate with the data key, so stored indexes stay valid; see docs/encryption.md.
   */
  async index(tx: Tx, scope: string, purpose: string, value: string): Promise<Buffer> {
    const keys = await this.scopeKeys(tx, scope, 1);
    return blindIndex(keys.blindIndexKey, purpose, value);
  }
}
