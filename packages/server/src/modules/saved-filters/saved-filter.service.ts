import { ANALYTICS_LIMITS, type EventFilter } from '@tally/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { badInput, conflict, isUniqueViolation, isUuid, notFound } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { normalizeEventFilter } from '../events/query';
import { SavedFilter } from './saved-filter.entity';

/** Saved filters a workspace may hold; `Workspace.savedFilters` lists them all. */
export const SAVED_FILTERS_PER_WORKSPACE = 200;

export interface SavedFilterData {
  name: string;
  filter: EventFilter;
}

function filterName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > ANALYTICS_LIMITS.savedFilterNameMaxLength) {
    throw badInput(`A filter name must be 1 to ${ANALYTICS_LIMITS.savedFilterNameMaxLength} characters.`, {
      field: 'name',
    });
  }
  return name;
}

/** Saved filters: read with analytics.view, changed with filters.manage (people and keys); every change audited. */
export class SavedFilterService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  list(workspaceId: string): Promise<SavedFilter[]> {
    return this.db
      .getRepository(SavedFilter)
      .createQueryBuilder('f')
      .where('f.workspace_id = :workspaceId', { workspaceId })
      .orderBy('lower(f.name)', 'ASC')
      .limit(SAVED_FILTERS_PER_WORKSPACE)
      .getMany();
  }

  /** The stored filter of a saved filter, for analytics queries; null when there is none. */
  async findFilter(workspaceId: string, id: string): Promise<EventFilter | null> {
    if (!isUuid(id)) return null;
    const found = await this.db.getRepository(SavedFilter).findOne({ where: { workspaceId, id } });
    return found?.filter ?? null;
  }

  async create(workspaceId: string, data: SavedFilterData, actor: Principal): Promise<SavedFilter> {
    const name = filterName(data.name);
    const filter = normalizeEventFilter(data.filter);
    return this.write(async (manager) => {
      // One creation at a time per workspace, so racing requests cannot pass the cap together.
      await manager.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE`, [workspaceId]);
      const [{ n } = { n: 0 }]: Array<{ n: number }> = await manager.query(
        `SELECT count(*)::int AS n FROM saved_filters WHERE workspace_id = $1`,
        [workspaceId],
      );
      if (n >= SAVED_FILTERS_PER_WORKSPACE) {
        throw badInput(`A workspace can keep at most ${SAVED_FILTERS_PER_WORKSPACE} saved filters.`);
      }
      const created = await manager.save(
        manager.create(SavedFilter, {
          workspaceId,
          name,
          filter,
          createdById: actor.kind === 'user' ? actor.userId : null,
        }),
      );
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.SAVED_FILTER_CREATED,
        actor,
        targetType: 'saved_filter',
        targetId: created.id,
        details: { name, filter },
      });
      return created;
    });
  }

  async update(workspaceId: string, id: string, data: SavedFilterData, actor: Principal): Promise<SavedFilter> {
    const name = filterName(data.name);
    const filter = normalizeEventFilter(data.filter);
    return this.write(async (manager) => {
      const current = await this.lock(manager, workspaceId, id);
      await manager.update(SavedFilter, { workspaceId, id }, { name, filter, updatedAt: () => 'now()' });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.SAVED_FILTER_UPDATED,
        actor,
        targetType: 'saved_filter',
        targetId: id,
        details: { from: { name: current.name, filter: current.filter }, to: { name, filter } },
      });
      const updated = await manager.findOne(SavedFilter, { where: { workspaceId, id } });
      if (!updated) throw notFound('Saved filter');
      return updated;
    });
  }

  async delete(workspaceId: string, id: string, actor: Principal): Promise<void> {
    await this.write(async (manager) => {
      const current = await this.lock(manager, workspaceId, id);
      await manager.delete(SavedFilter, { workspaceId, id });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.SAVED_FILTER_DELETED,
        actor,
        targetType: 'saved_filter',
        targetId: id,
        details: { name: current.name },
      });
    });
  }

  private async lock(manager: EntityManager, workspaceId: string, id: string): Promise<SavedFilter> {
    if (!isUuid(id)) throw notFound('Saved filter');
    const found = await manager.findOne(SavedFilter, {
      where: { workspaceId, id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!found) throw notFound('Saved filter');
    return found;
  }

  private async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error, 'saved_filters_name_uq')) {
        throw conflict('This workspace already has a saved filter of that name.');
      }
      throw error;
    }
  }
}
