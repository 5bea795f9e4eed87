import { randomUUID, timingSafeEqual } from 'node:crypto';
import { LIMITS } from '@tally/shared';
import { isEmail } from 'class-validator';
import { type DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { badInput, conflict, isUniqueViolation, isUuid, unauthenticated } from '../../platform/errors';
import { SINGLE_LINE_NAME, isSingleLineName } from '../../platform/text';
import type { RateLimit } from '../../platform/rate-limits/rate-limit';
import type { LoginLimiter } from './login-limiter';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password';
import { newPasswordProblem } from './password-policy';
import { RefreshToken } from './refresh-token.entity';
import { type Change, announce } from '../../platform/change-feed/change-feed';
import { type TokenService, hashToken, newFamilyExpiry, refreshExpiry } from './tokens';
import { User } from './user.entity';

/** What a successful sign-up, log-in or refresh hands to the HTTP layer. */
export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/**
 * Makes a new user's personal workspace, in the sign-up's transaction. The workspaces module's
 * WorkspaceService is it; accounts import no other domain.
 */
export interface PersonalWorkspaces {
  createPersonal(manager: EntityManager, userId: string): Promise<unknown>;
}

const INVALID_LOGIN = 'Invalid email or password.';
const SESSION_ENDED = 'Your session has ended. Please log in again.';

export class AccountService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiter,
    private readonly workspaces: PersonalWorkspaces,
    /** Sign-ups per client address, every attempt counting (made, refused or CONFLICT). */
    private readonly signUps: RateLimit,
    /** Applies an ended login family on this instance at once (the NOTIFY reaches the others). */
    private readonly changes: { applyLocally(change: Change): void },
  ) {}

  async signUp(input: { email: string; password: string; name: string }, ip: string): Promise<Session> {
    // Before any work: CONFLICT tells whether an email has an account, so asking is limited too.
    await this.signUps.consume(ip);
    const email = normalizeEmail(input.email);
    const name = input.name.trim();
    if (!isEmail(email) || email.length > LIMITS.emailMaxLength) {
      throw badInput('Enter a valid email address.', { field: 'email' });
    }
    const passwordProblem = newPasswordProblem(input.password);
    if (passwordProblem) throw badInput(passwordProblem, { field: 'password' });
    if (name.length === 0 || name.length > LIMITS.userNameMaxLength) {
      throw badInput(`A name must be 1 to ${LIMITS.userNameMaxLength} characters.`, { field: 'name' });
    }
    if (!isSingleLineName(name)) throw badInput(SINGLE_LINE_NAME, { field: 'name' });
    const passwordHash = await hashPassword(input.password);
    try {
      const user = await this.db.transaction(async (manager) => {
        const created = await manager.save(manager.create(User, { email, name, passwordHash }));
        await this.workspaces.createPersonal(manager, created.id);
        return created;
      });
      return await this.startSession(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An account with this email already exists.');
      throw error;
    }
  }

  /**
   * Unknown email and wrong password give the same error, after the same work. The attempt is
   * counted before the password is checked (consume first), so parallel guesses cannot
   * outrun the limits; a success gives its attempt back.
   */
  async logIn(input: { email: string; password: string }, ip: string): Promise<Session> {
    const email = normalizeEmail(input.email);
    await this.limiter.consume(email, ip);
    const user = await this.db
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email AND u.deleted_at IS NULL', { email })
      .getOne();
    const ok = user ? await verifyPassword(user.passwordHash, input.password) : await burnPasswordCheck(input.password);
    if (!user || !ok) throw unauthenticated(INVALID_LOGIN);
    await this.limiter.refund(email, ip);
    return this.startSession(user);
  }

  /**
   * Rotates the refresh token. Presenting a token that was already rotated means it leaked
   * (or was replayed): the whole family is revoked and both holders must log in again.
   */
  async refresh(refreshToken: string | undefined): Promise<Session> {
    if (!refreshToken) throw unauthenticated('You are not logged in.');
    const claims = await this.tokens.verifyRefresh(refreshToken);
    const outcome = await this.db.transaction(async (manager) => {
      const row = await manager.findOne(RefreshToken, {
        where: { id: claims.tokenId },
        lock: { mode: 'pessimistic_write' },
      });
      if (
        !row ||
        row.userId !== claims.userId ||
        row.familyId !== claims.familyId ||
        !timingSafeEqual(row.tokenHash, hashToken(refreshToken)) ||
        row.revokedAt
      ) {
        return { kind: 'invalid' as const };
      }
      if (row.rotatedAt) {
        await this.endFamily(manager, row.familyId, row.userId);
        return { kind: 'reused' as const };
      }
      const user = await manager.findOne(User, { where: { id: row.userId, deletedAt: IsNull() } });
      if (!user) return { kind: 'invalid' as const };
      await manager.update(RefreshToken, { id: row.id }, { rotatedAt: () => 'now()' });
      const next = await this.issueRefresh(manager, user.id, row.familyId, claims.familyExpiresAt);
      return { kind: 'ok' as const, user, ...next };
    });
    if (outcome.kind === 'reused') this.changes.applyLocally({ kind: 'session_family', id: claims.familyId });
    if (outcome.kind !== 'ok') throw unauthenticated(SESSION_ENDED);
    return {
      user: outcome.user,
      accessToken: await this.tokens.signAccess({ userId: outcome.user.id, familyId: claims.familyId }),
      refreshToken: outcome.token,
      refreshExpiresAt: outcome.expiresAt,
    };
  }

  /** Ends the login family of the presented token, if it is one of ours. */
  async logOut(refreshToken: string | undefined): Promise<void> {
    if (!refreshToken) return;
    try {
      const claims = await this.tokens.verifyRefresh(refreshToken);
      const ended = await this.db.transaction((manager) => this.endFamily(manager, claims.familyId, claims.userId));
      if (ended) this.changes.applyLocally({ kind: 'session_family', id: claims.familyId });
    } catch {
      // An invalid or expired cookie has nothing to end; logging out still clears it.
    }
  }

  /** Users by id in the order asked (the per-request DataLoader's batch function). */
  async findUsers(ids: readonly string[]): Promise<Array<User | null>> {
    const valid = ids.filter(isUuid);
    const users = valid.length ? await this.db.getRepository(User).find({ where: { id: In(valid) } }) : [];
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** A live account (a deleted one is a tombstone: nobody's `me`). */
  findUser(id: string): Promise<User | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.db.getRepository(User).findOne({ where: { id, deletedAt: IsNull() } });
  }

  /**
   * Ends every login of a user (a password reset; all but the caller's own for a password
   * change), in the caller's transaction: revokes all
   * their refresh tokens and announces each family. Returns the families, for
   * `applyEndedFamilies` once the transaction has committed.
   */
  async endAllSessions(manager: EntityManager, userId: string, keepFamilyId?: string): Promise<string[]> {
    // `keepFamilyId`: the caller's own login (a password change ends only the other sessions).
    const rows: Array<{ family_id: string }> = await manager.query(
      `WITH ended AS (
         UPDATE refresh_tokens SET revoked_at = now()
          WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR family_id <> $2::uuid)
          RETURNING family_id
       ) SELECT DISTINCT family_id FROM ended`,
      [userId, keepFamilyId ?? null],
    );
    for (const row of rows) await announce(manager, { kind: 'session_family', id: row.family_id });
    return rows.map((row) => row.family_id);
  }

  /** Applies ended families on this instance at once (their NOTIFYs reach the others). */
  applyEndedFamilies(familyIds: readonly string[]): void {
    for (const id of familyIds) this.changes.applyLocally({ kind: 'session_family', id });
  }

  /**
   * Revokes every refresh token of a login family and announces it, so that every instance
   * refuses the family's access tokens from the next request on. True when it was live.
   */
  private async endFamily(manager: EntityManager, familyId: string, userId: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshToken)
      .set({ revokedAt: () => 'now()' })
      .where('family_id = :familyId AND user_id = :userId AND revoked_at IS NULL', { familyId, userId })
      .execute();
    if (!result.affected) return false;
    await announce(manager, { kind: 'session_family', id: familyId });
    return true;
  }

  private async startSession(user: User): Promise<Session> {
    const familyId = randomUUID();
    const next = await this.db.transaction((manager) =>
      this.issueRefresh(manager, user.id, familyId, newFamilyExpiry()),
    );
    return {
      user,
      accessToken: await this.tokens.signAccess({ userId: user.id, familyId }),
      refreshToken: next.token,
      refreshExpiresAt: next.expiresAt,
    };
  }

  private async issueRefresh(
    manager: EntityManager,
    userId: string,
    familyId: string,
    familyExpiresAt: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const tokenId = randomUUID();
    const token = await this.tokens.signRefresh({ userId, tokenId, familyId, familyExpiresAt });
    const expiresAt = new Date(refreshExpiry(familyExpiresAt) * 1000);
    await manager.insert(RefreshToken, { id: tokenId, userId, familyId, tokenHash: hashToken(token), expiresAt });
    return { token, expiresAt };
  }
}
