import type DataLoader from 'dataloader';
import type { AuthContext } from '../../auth/context';
import type { User } from './user.entity';

/** The refresh-token cookie of the dashboard, read and written through the HTTP layer. */
export interface SessionCookie {
  read(): string | undefined;
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface Loaders {
  readonly users: DataLoader<string, User | null>;
}

/** What the accounts' resolvers, and those that load users, need from a request. */
export interface AccountsContext extends AuthContext {
  sessionCookie: SessionCookie;
  /** Per-request batching loaders, created on first use. */
  loaders: Loaders;
}
