/**
 * Tells the other tabs of this origin that the user logged out, so that they log out at once
 * instead of showing a dashboard whose session is gone (they would find out only at their next
 * refresh). BroadcastChannel where the browser has it; otherwise a localStorage write, whose
 * `storage` event reaches every other tab. The server side is already covered: the logged-out
 * session's refresh token is refused on every instance.
 */
export interface SessionSignals {
  /** Tells every other tab; never this one. */
  announceLogOut(): void;
  /** Called when another tab logged out. Returns the unsubscribe function. */
  onLogOut(listener: () => void): () => void;
}

const CHANNEL_NAME = 'tally.session';
const STORAGE_KEY = 'tally.session.logged-out';
const LOGGED_OUT = 'logged-out';

export function createSessionSignals(): SessionSignals {
  if (typeof window === 'undefined') return { announceLogOut: () => undefined, onLogOut: () => () => undefined };
  // One channel object per page: a BroadcastChannel never receives its own messages, so this
  // tab does not hear itself.
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL_NAME) : null;
  return channel ? channelSignals(channel) : storageSignals();
}

function channelSignals(channel: BroadcastChannel): SessionSignals {
  return {
    announceLogOut() {
      channel.postMessage(LOGGED_OUT);
    },
    onLogOut(listener) {
      const handle = (event: MessageEvent) => {
        if (event.data === LOGGED_OUT) listener();
      };
      channel.addEventListener('message', handle);
      return () => {
        channel.removeEventListener('message', handle);
      };
    },
  };
}

function storageSignals(): SessionSignals {
  return {
    announceLogOut() {
      try {
        // A new value every time: an unchanged value fires no event.
        window.localStorage.setItem(STORAGE_KEY, `${Date.now()}-${Math.random()}`);
      } catch {
        // Storage disabled: the other tabs find out at their next refresh.
      }
    },
    onLogOut(listener) {
      const handle = (event: StorageEvent) => {
        if (event.key === STORAGE_KEY && event.newValue !== null) listener();
      };
      window.addEventListener('storage', handle);
      return () => {
        window.removeEventListener('storage', handle);
      };
    },
  };
}
