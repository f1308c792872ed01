import { inspect } from 'node:util';
import { customType } from 'drizzle-orm/pg-core';

/**
 * What an encrypted column holds, as the application sees it: opaque bytes. It prints, logs and
 * serialises as "[sealed]", and there is no way to read it but `FieldCrypto.open`. A plain
 * string cannot be written to such a column: the types refuse it.
 */
export class Sealed {
  private constructor(readonly bytes: Buffer) {}

  static fromBytes(bytes: Buffer): Sealed {
    return new Sealed(bytes);
  }

  toString(): string {
    return '[sealed]';
  }

  toJSON(): string {
    return '[sealed]';
  }

  [inspect.custom](): string {
    return 'Sealed([sealed])';
  }
}

/** A `bytea` column holding a sealed value (see core/crypto/aead.ts for the format). */
export const sealed = customType<{ data: Sealed; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value.bytes,
  fromDriver: (value) => Sealed.fromBytes(Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
