import { LIMITS, MemberRole, WorkspaceKind } from '@tally/shared';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { badInput, forbidden, isUuid, notFound } from '../../platform/errors';
import { SINGLE_LINE_NAME, isSingleLineName } from '../../platform/text';
import type { JobQueue } from '../../platform/jobs/job-queue';
import { WORKSPACE_PURGE_JOB } from './workspace-purge';
import { lockMembers, lockWorkspace } from './team-lock';
import { type Change, announce } from '../../platform/change-feed/change-feed';
import { BACKSTOP_TTL_MS, InvalidatedCache } from '../../platform/change-feed/invalidated-cache';
import type { Principal } from '../../auth/principal';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { Membership } from './member.entity';
import { Workspace } from './workspace.entity';

export interface WorkspaceWithRole {
  workspace: Workspace;
  role: MemberRole;
}

/** Normalises and checks a workspace name: trimmed, 1–100 characters, on one line. */
export function workspaceName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > LIMITS.workspaceNameMaxLength) {
    throw badInput(`A workspace name must be 1 to ${LIMITS.workspaceNameMaxLength} characters.`, { field: 'name' });
  }
  if (!isSingleLineName(name)) throw badInput(SINGLE_LINE_NAME, { field: 'name' });
  return name;
}

export class WorkspaceService {
  /**
   * Live workspaces by id. API-key requests read their workspace on every call; renames and
   * deletions announce themselves on the change feed, so every instance drops stale rows.
   */
  readonly cache = new InvalidatedCache<Workspace>({
    max: 10_000,
    ttlMs: BACKSTOP_TTL_MS,
    isStale: (change, id) => change.kind === 'workspace' && change.id === id,
  });

  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly changes: { applyLocally(change: Change): void },
    private readonly jobs: Pick<JobQueue, 'sendInTransaction'>,
  ) {}

  /** A user's private workspace, created in the sign-up transaction. */
  async createPersonal(manager: EntityManager, userId: string): Promise<Workspace> {
    const workspace = await manager.save(
      manager.create(Workspace, { kind: WorkspaceKind.PERSONAL, name: 'Personal', personalOwnerId: userId }),
    );
    await manager.insert(Membership, { workspaceId: workspace.id, userId, role: MemberRole.OWNER });
    return workspace;
  }

  /** The user's workspaces with their role in each: personal first, then teams by name. */
  async listForUser(userId: string): Promise<WorkspaceWithRole[]> {
    const rows = await this.db
      .getRepository(Workspace)
      .createQueryBuilder('w')
      .innerJoin(Membership, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId })
      .addSelect('m.role', 'member_role')
      .where('w.deleted_at IS NULL')
      .orderBy('w.kind', 'ASC') // PERSONAL < TEAM
      .addOrderBy('lower(w.name)', 'ASC')
      .addOrderBy('w.id', 'ASC')
      .getRawAndEntities<{ member_role: MemberRole }>();
    return rows.entities.map((workspace, i) => ({ workspace, role: rowRole(rows.raw[i]) }));
  }

  /** One workspace with the user's role in it; null when the user is not a member. */
  async findForUser(userId: string, workspaceId: string): Promise<WorkspaceWithRole | null> {
    if (!isUuid(workspaceId)) return null;
    const rows = await this.db
      .getRepository(Workspace)
      .createQueryBuilder('w')
      .innerJoin(Membership, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId })
      .addSelect('m.role', 'member_role')
      .where('w.id = :workspaceId AND w.deleted_at IS NULL', { workspaceId })
      .getRawAndEntities<{ member_role: MemberRole }>();
    const workspace = rows.entities[0];
    return workspace ? { workspace, role: rowRole(rows.raw[0]) } : null;
  }

  /** The cached live workspace, if it is cached (no database, no promise). */
  peekLive(workspaceId: string): Workspace | undefined {
    return this.cache.get(workspaceId);
  }

  /** A live (not deleted) workspace by id, from the cache when it can be. */
  async findLive(workspaceId: string): Promise<Workspace | null> {
    if (!isUuid(workspaceId)) return null;
    return this.cache.getOrLoad(workspaceId, () =>
      this.db.getRepository(Workspace).findOne({ where: { id: workspaceId, deletedAt: IsNull() } }),
    );
  }

  /** Rule: the creator is the team's first OWNER. */
  async createTeam(rawName: string, actor: Principal): Promise<Workspace> {
    if (actor.kind !== 'user') throw forbidden('API keys cannot create teams.');
    const name = workspaceName(rawName);
    return this.db.transaction(async (manager) => {
      const team = await manager.save(
        manager.create(Workspace, { kind: WorkspaceKind.TEAM, name, personalOwnerId: null }),
      );
      await manager.insert(Membership, { workspaceId: team.id, userId: actor.userId, role: MemberRole.OWNER });
      await this.audit.record(manager, {
        workspaceId: team.id,
        action: AuditAction.TEAM_CREATED,
        actor,
        targetType: 'workspace',
        targetId: team.id,
        details: { name },
      });
      return team;
    });
  }

  /**
   * Rule 8: OWNER only, `confirmName` exactly the team's name. In one transaction the team is
   * marked deleted (NOT_FOUND everywhere from then on), its keys and open invitations are
   * revoked, every instance is told to drop the team and its keys, and the purge of its rows
   * is queued; the purge job deletes them in batches afterwards.
   */
  async deleteTeam(workspaceId: string, confirmName: string, actor: Principal): Promise<void> {
    if (actor.kind !== 'user') throw forbidden('API keys cannot delete teams.');
    await this.db.transaction(async (manager) => {
      const team = await lockWorkspace(manager, workspaceId, { refusal: 'A personal workspace cannot be deleted.' });
      const members = await lockMembers(manager, workspaceId);
      if (members.get(actor.userId) !== MemberRole.OWNER) throw forbidden('Only an owner can delete this team.');
      if (confirmName !== team.name) {
        throw badInput("Type the team's name exactly as it is shown to delete it.", { field: 'confirmName' });
      }
      await manager.query(`UPDATE workspaces SET deleted_at = now() WHERE id = $1`, [workspaceId]);
      const [revoked] = (await manager.query(
        `WITH keys AS (
           UPDATE api_keys SET revoked_at = now() WHERE workspace_id = $1 AND revoked_at IS NULL RETURNING 1
         ), invitations AS (
           UPDATE invitations SET revoked_at = now()
            WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING 1
         )
         SELECT (SELECT count(*) FROM keys)::int AS keys, (SELECT count(*) FROM invitations)::int AS invitations`,
        [workspaceId],
      )) as Array<{ keys: number; invitations: number }>;
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.TEAM_DELETED,
        actor,
        targetType: 'workspace',
        targetId: workspaceId,
        details: { name: team.name, apiKeysRevoked: revoked?.keys ?? 0, invitationsRevoked: revoked?.invitations ?? 0 },
      });
      await announce(manager, { kind: 'workspace_keys', id: workspaceId });
      await announce(manager, { kind: 'workspace', id: workspaceId });
      await this.jobs.sendInTransaction(manager, WORKSPACE_PURGE_JOB, { workspaceId });
    });
    this.changes.applyLocally({ kind: 'workspace_keys', id: workspaceId });
    this.changes.applyLocally({ kind: 'workspace', id: workspaceId });
  }

  /**
   * A deleted account's personal workspace, in the deletion's transaction: marked deleted
   * (NOT_FOUND from then on), its keys revoked, every instance told, and its rows purged by the
   * same background job as a deleted team's. Its id, for `applyDeleted` after the commit.
   */
  async deletePersonal(manager: EntityManager, userId: string): Promise<string | null> {
    // A CTE, so the driver hands back the rows (a bare UPDATE … RETURNING comes back as [rows, count]).
    const rows: Array<{ id: string }> = await manager.query(
      `WITH deleted AS (
         UPDATE workspaces SET deleted_at = now()
          WHERE personal_owner_id = $1 AND kind = 'PERSONAL' AND deleted_at IS NULL RETURNING id
       ) SELECT id FROM deleted`,
      [userId],
    );
    const id = rows[0]?.id;
    if (!id) return null;
    await manager.query(`UPDATE api_keys SET revoked_at = now() WHERE workspace_id = $1 AND revoked_at IS NULL`, [id]);
    await announce(manager, { kind: 'workspace_keys', id });
    await announce(manager, { kind: 'workspace', id });
    await this.jobs.sendInTransaction(manager, WORKSPACE_PURGE_JOB, { workspaceId: id });
    return id;
  }

  /** After a deletion commits: this instance drops the workspace and its keys at once. */
  applyDeleted(workspaceId: string): void {
    this.changes.applyLocally({ kind: 'workspace_keys', id: workspaceId });
    this.changes.applyLocally({ kind: 'workspace', id: workspaceId });
  }

  /** Remembers the workspace a user opened (one of theirs, live), for `homeWorkspace`. */
  async remember(userId: string, workspaceId: string): Promise<boolean> {
    if (!isUuid(workspaceId)) throw notFound('Workspace');
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH remembered AS (
         UPDATE users SET last_workspace_id = $2
          WHERE id = $1 AND deleted_at IS NULL
            AND EXISTS (SELECT 1 FROM members m JOIN workspaces w ON w.id = m.workspace_id
                         WHERE m.user_id = $1 AND m.workspace_id = $2 AND w.deleted_at IS NULL)
          RETURNING id
       ) SELECT id FROM remembered`,
      [userId, workspaceId],
    );
    if (rows.length === 0) throw notFound('Workspace');
    return true;
  }

  /** The workspace a user opened last, if they still belong to it. */
  async remembered(userId: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT w.id FROM users u
         JOIN members m ON m.user_id = u.id AND m.workspace_id = u.last_workspace_id
         JOIN workspaces w ON w.id = m.workspace_id AND w.deleted_at IS NULL
        WHERE u.id = $1`,
      [userId],
    );
    return rows[0]?.id ?? null;
  }

  async rename(workspaceId: string, rawName: string, actor: Principal | null): Promise<Workspace> {
    const name = workspaceName(rawName);
    if (!isUuid(workspaceId)) throw notFound('Workspace');
    const renamed = await this.db.transaction(async (manager) => {
      const workspace = await manager.findOne(Workspace, {
        where: { id: workspaceId, deletedAt: IsNull() },
        lock: { mode: 'pessimistic_write' },
      });
      if (!workspace) throw notFound('Workspace');
      const previous = workspace.name;
      if (previous === name) return workspace;
      workspace.name = name;
      await manager.update(Workspace, { id: workspace.id }, { name });
      await announce(manager, { kind: 'workspace', id: workspace.id });
      if (workspace.kind === WorkspaceKind.TEAM) {
        await this.audit.record(manager, {
          workspaceId,
          action: AuditAction.TEAM_RENAMED,
          actor,
          targetType: 'workspace',
          targetId: workspaceId,
          details: { from: previous, to: name },
        });
      }
      return workspace;
    });
    this.changes.applyLocally({ kind: 'workspace', id: renamed.id });
    return renamed;
  }
}

function rowRole(raw: { member_role: MemberRole } | undefined): MemberRole {
  if (!raw) throw new Error('workspace row without a role');
  return raw.member_role;
}
