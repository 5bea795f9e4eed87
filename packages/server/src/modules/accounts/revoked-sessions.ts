import type { DataSource } from 'typeorm';
import type { Change, ChangeSubscriber } from '../../platform/change-feed/change-feed';
import { ACCESS_TOKEN_TTL_SECONDS } from './tokens';

/** A revoked family is remembered while access tokens issued before its end can still be live. */
const REMEMBER_MS = (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;

/**
 * Login families ended by logOut or by a refresh-token reuse. Their access tokens are refused
 * at once by the instance that ended them and by the others as soon as the change feed delivers
 * the change, checked on every request from memory: the set is loaded at start
 * and whenever the change feed reconnects, and kept current by `session_family` changes. While
 * the feed is down the set may miss a revocation, so each check then asks the database.
 */
export class RevokedSessions implements ChangeSubscriber {
  /** family id → when it may be forgotten (every access token of it has expired by then). */
  private readonly revoked = new Map<string, number>();
  private trusted = false;
  private loading: Promise<void> | null = null;
  private generation = 0;

  constructor(private readonly db: DataSource) {}

  /** Answers from memory (synchronously) when it can; else from the database. */
  isRevoked(familyId: string): boolean | Promise<boolean> {
    if (this.trusted) {
      const until = this.revoked.get(familyId);
      return until !== undefined && until > Date.now();
    }
    return this.db
      .query(`SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL LIMIT 1`, [familyId])
      .then((rows: unknown[]) => rows.length > 0);
  }

  /** Loads the recently revoked families; the set is trusted once this resolves. */
  load(): Promise<void> {
    const generation = ++this.generation;
    this.loading = (async () => {
      const rows: Array<{ family_id: string; revoked_at: Date }> = await this.db.query(
        `SELECT family_id, max(revoked_at) AS revoked_at FROM refresh_tokens
          WHERE revoked_at > now() - make_interval(secs => $1) GROUP BY family_id`,
        [REMEMBER_MS / 1000],
      );
      for (const row of rows) this.remember(row.family_id, row.revoked_at.getTime() + REMEMBER_MS);
      this.prune();
      // A feed lost while loading must not be trusted by a load it outlived.
      if (generation === this.generation) this.trusted = true;
    })();
    return this.loading;
  }

  onChange(change: Change): void {
    if (change.kind !== 'session_family') return;
    this.remember(change.id, Date.now() + REMEMBER_MS);
    if (this.revoked.size % 1024 === 0) this.prune();
  }

  onReset(): void {
    this.trusted = false;
    this.load().catch(() => {
      // Stays untrusted: every check asks the database until the next reset.
    });
  }

  onLost(): void {
    this.generation += 1;
    this.trusted = false;
  }

  private remember(familyId: string, until: number): void {
    if ((this.revoked.get(familyId) ?? 0) < until) this.revoked.set(familyId, until);
  }

  private prune(): void {
    const now = Date.now();
    for (const [familyId, until] of this.revoked) if (until <= now) this.revoked.delete(familyId);
  }
}
