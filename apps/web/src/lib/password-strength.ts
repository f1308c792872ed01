import { useEffect, useState } from 'react';

/**
 * Password strength (zxcvbn) and the common-password list for the live policy check.
 * Loaded on demand (≈1 MB of dictionaries) so pages without a password field stay light.
 * The server checks the blocklist again; this is guidance while typing.
 */
export interface StrengthChecker {
  /** 0 (very weak) … 4 (very strong). */
  score(password: string, userInputs: string[]): 0 | 1 | 2 | 3 | 4;
  isCommon(normalised: string): boolean;
}

let loading: Promise<StrengthChecker> | null = null;

export function loadStrengthChecker(): Promise<StrengthChecker> {
  loading ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(([core, common]) => {
    const zxcvbn = new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary },
      graphs: common.adjacencyGraphs,
    });
    const commonPasswords = new Set(common.dictionary['passwords-common'].map((word) => word.toLowerCase()));
    return {
      score: (password, userInputs) => zxcvbn.check(password.slice(0, 128), userInputs).score,
      isCommon: (normalised) => commonPasswords.has(normalised),
    } satisfies StrengthChecker;
  });
  return loading;
}

export function useStrengthChecker(): StrengthChecker | null {
  const [checker, setChecker] = useState<StrengthChecker | null>(null);
  useEffect(() => {
    let active = true;
    loadStrengthChecker()
      .then((loaded) => {
        if (active) setChecker(loaded);
      })
      .catch(() => undefined);
    return () => {
      active = false;
    };
  }, []);
  return checker;
}
