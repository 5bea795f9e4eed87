import { ANALYTICS_LIMITS } from '@tally/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { badInput, isUuid, notFound } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { Annotation } from './annotation.entity';

/** The most annotations one list returns (a range's first ones); priced as a list of this many. */
export const ANNOTATIONS_LISTED = 500;

export interface AnnotationData {
  at: Date;
  text: string;
}

function checked(data: AnnotationData): AnnotationData {
  const text = data.text.trim();
  if (text.length === 0 || text.length > ANALYTICS_LIMITS.annotationTextMaxLength) {
    throw badInput(`An annotation's text must be 1 to ${ANALYTICS_LIMITS.annotationTextMaxLength} characters.`, {
      field: 'text',
    });
  }
  if (Number.isNaN(data.at.getTime())) throw badInput('An annotation needs a valid time.', { field: 'at' });
  return { at: data.at, text };
}

/** Annotations: read with analytics.view, changed with annotations.manage (people and keys); every change audited. */
export class AnnotationService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** In time order; within `from`..`to` when given. */
  list(workspaceId: string, range?: { from: Date; to: Date } | null): Promise<Annotation[]> {
    const query = this.db
      .getRepository(Annotation)
      .createQueryBuilder('a')
      .where('a.workspace_id = :workspaceId', { workspaceId })
      .orderBy('a.at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .limit(ANNOTATIONS_LISTED);
    if (range) {
      if (!(range.from < range.to)) throw badInput('The range must start before it ends.', { field: 'range' });
      query.andWhere('a.at >= :from AND a.at < :to', { from: range.from, to: range.to });
    }
    return query.getMany();
  }

  /** For Overview's chart markers. */
  listInRange(workspaceId: string, from: Date, to: Date): Promise<Annotation[]> {
    return this.list(workspaceId, { from, to });
  }

  async create(workspaceId: string, data: AnnotationData, actor: Principal): Promise<Annotation> {
    const { at, text } = checked(data);
    return this.db.transaction(async (manager) => {
      const created = await manager.save(
        manager.create(Annotation, { workspaceId, at, text, createdById: actor.kind === 'user' ? actor.userId : null }),
      );
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.ANNOTATION_CREATED,
        actor,
        targetType: 'annotation',
        targetId: created.id,
        details: { at: at.toISOString(), text },
      });
      return created;
    });
  }

  async update(workspaceId: string, id: string, data: AnnotationData, actor: Principal): Promise<Annotation> {
    const { at, text } = checked(data);
    return this.db.transaction(async (manager) => {
      const current = await this.lock(manager, workspaceId, id);
      await manager.update(Annotation, { workspaceId, id }, { at, text });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.ANNOTATION_UPDATED,
        actor,
        targetType: 'annotation',
        targetId: id,
        details: { from: { at: current.at.toISOString(), text: current.text }, to: { at: at.toISOString(), text } },
      });
      return { ...current, at, text };
    });
  }

  async delete(workspaceId: string, id: string, actor: Principal): Promise<void> {
    await this.db.transaction(async (manager) => {
      const current = await this.lock(manager, workspaceId, id);
      await manager.delete(Annotation, { workspaceId, id });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.ANNOTATION_DELETED,
        actor,
        targetType: 'annotation',
        targetId: id,
        details: { at: current.at.toISOString(), text: current.text },
      });
    });
  }

  private async lock(manager: EntityManager, workspaceId: string, id: string): Promise<Annotation> {
    if (!isUuid(id)) throw notFound('Annotation');
    const found = await manager.findOne(Annotation, {
      where: { workspaceId, id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!found) throw notFound('Annotation');
    return found;
  }
}
