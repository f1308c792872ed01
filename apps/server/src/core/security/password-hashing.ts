import { hash, verify } from '@node-rs/argon2';

/** @node-rs/argon2's `Algorithm.Argon2id` (a const enum, which isolated modules cannot import). */
const argon2id = 2;

/**
 * argon2id with the OWASP/ASVS appendix C parameters (m = 19 MiB, t = 2, p = 1) as the floor.
 * The parameters travel inside the PHC string, so a raised setting re-hashes at the next login.
 */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}
export const defaultArgon2Params: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export class PasswordHasher {
  /** A real hash of a random string: unknown e-mails verify against it so they cost the same time. */
  #dummyHash: Promise<string>;

  constructor(readonly params: Argon2Params = defaultArgon2Params) {
    this.#dummyHash = this.hash(`dummy-${Math.random()}-${Date.now()}`);
  }

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: argon2id, ...this.params });
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      return await verify(storedHash, password);
    } catch {
      return false; // a malformed stored hash never lets anyone in
    }
  }

  /** Spends one verification's time and always fails: for unknown accounts. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.#dummyHash, password);
    return false;
  }

  needsRehash(storedHash: string): boolean {
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash);
    if (!match) return true;
    const [, m, t, p] = match.map(Number);
    return m! < this.params.memoryCost || t! < this.params.timeCost || p! !== this.params.parallelism;
  }
}
