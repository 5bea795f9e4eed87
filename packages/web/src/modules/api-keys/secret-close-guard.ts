import { useCallback, useEffect, useRef, useState } from 'react';

/** Tells a dialog whether a close must be asked about first (the guard returns true: it was, don't close). */
export type SetCloseGuard = (guard: (() => boolean) | null) => void;

/**
 * The dialog's side of a shown-once secret (Create, Roll): `requestClose` closes unless the step
 * inside has set a guard that asks first; `setCloseGuard` is what the step sets it with.
 */
export function useCloseGuard(onClose: () => void): { requestClose: () => void; setCloseGuard: SetCloseGuard } {
  const closeGuard = useRef<(() => boolean) | null>(null);
  const setCloseGuard = useCallback<SetCloseGuard>((guard) => {
    closeGuard.current = guard;
  }, []);
  const requestClose = () => {
    if (closeGuard.current?.() === true) return;
    onClose();
  };
  return { requestClose, setCloseGuard };
}

/**
 * The step's side: once a secret is shown and not copied, a close (Escape, ×, Done) asks first
 * (`confirming`) instead of throwing the secret away.
 */
export function useUncopiedSecretGuard(
  setCloseGuard: SetCloseGuard,
  shown: boolean,
  copied: boolean,
): { confirming: boolean; setConfirming: (confirming: boolean) => void } {
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    setCloseGuard(() => {
      if (!shown || copied || confirming) return false;
      setConfirming(true);
      return true;
    });
    return () => {
      setCloseGuard(null);
    };
  }, [setCloseGuard, shown, copied, confirming]);
  return { confirming, setConfirming };
}
