import type { Database, Tx } from '../db/database.ts';
import { open, seal, type KeyRef } from './aead.ts';
import type { Place } from './field-crypto.ts';
import type { KeyRing } from './key-ring.ts';
import { Sealed } from './sealed-column.ts';

/** Where a patient's value lives; the organisation is the cipher's own (bound into the AAD). */
export type PatientPlace = Omit<Place, 'scope'>;

/**
 * Seals and opens one patient's fields with that patient's key (docs/design/patients-and-dossiers.md
 * §3). The key is resolved once — `forPatient` through the key ring (cached), `fromRow` from a
 * `patient_keys` row a one-statement read already returned — and then every `seal`/`open` is
 * synchronous: a list or a dossier does no await per field.
 *
 * Same envelope as `FieldCrypto` (core/crypto/aead.ts): the header names the key
 * `patient:<id>` v1, and the additional data is `<table>:<column>:<org>:<row>`, so a value copied
 * to another patient, row, column or practice does not open. Erasure is the key's: once
 * `shredPatientKey` ran, `forPatient`/`fromRow` fail with `KeyShreddedError`.
 *
 * The cipher holds a private copy of the key for its (short, per-request) life; do not keep it
 * beyond the request.
 */
export class PatientCipher {
  readonly #key: Buffer;
  readonly #ref: KeyRef;

  private constructor(
    readonly orgId: string,
    readonly patientId: string,
    resolved: { ref: KeyRef; key: Buffer },
  ) {
    if (resolved.ref.keyId !== `patient:${patientId}`) throw new Error('the key is not this patient’s');
    this.#key = Buffer.from(resolved.key);
    this.#ref = resolved.ref;
  }

  /** Resolves the patient's key in the caller's (tenant) transaction. */
  static async forPatient(keys: KeyRing, tx: Tx, orgId: string, patientId: string): Promise<PatientCipher> {
    return new PatientCipher(orgId, patientId, await keys.patientKey(tx, orgId, patientId));
  }

  /**
   * From a `patient_keys` row already read (e.g. returned by `haven_open_dossier`): no round trip
   * unless the organisation root is not cached, then read through `roots` (see
   * `KeyRing.patientKeyFromRow`).
   */
  static async fromRow(
    keys: KeyRing,
    orgId: string,
    patientId: string,
    row: { wrappedKey: Buffer | Uint8Array | null; orgKeyVersion: number },
    roots: { tx: Tx } | { db: Database },
  ): Promise<PatientCipher> {
    return new PatientCipher(orgId, patientId, await keys.patientKeyFromRow(orgId, patientId, row, roots));
  }

  /** From a key the caller already resolved (`KeyRing.patientKey`/`patientKeyFromRow`). */
  static fromKey(orgId: string, patientId: string, resolved: { ref: KeyRef; key: Buffer }): PatientCipher {
    return new PatientCipher(orgId, patientId, resolved);
  }

  #context(place: PatientPlace): string {
    return `${place.table}:${place.column}:${this.orgId}:${place.rowId}`;
  }

  seal(place: PatientPlace, value: string): Sealed {
    return Sealed.fromBytes(seal(this.#key, this.#ref, value, this.#context(place)));
  }

  /** Empty and missing values are stored as NULL, as `FieldCrypto.sealOptional` does. */
  sealOptional(place: PatientPlace, value: string | null | undefined): Sealed | null {
    return value === null || value === undefined || value === '' ? null : this.seal(place, value);
  }

  /** Throws `DecryptionError` if the value was sealed for another patient, place or practice, or altered. */
  open(place: PatientPlace, value: Sealed): string {
    return open(this.#key, this.#ref, value.bytes, this.#context(place)).toString('utf8');
  }

  openOptional(place: PatientPlace, value: Sealed | null): string | null {
    return value ? this.open(place, value) : null;
  }
}
