import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { PageInfo } from '../../platform/pagination';
import { JsonValue } from '../../platform/scalars';

/** One recorded change in a workspace: who (a user or an API key) did what to which target. */
@ObjectType('AuditEntry')
@Entity({ name: 'audit_entries' })
@Index('audit_entries_workspace_at_idx', ['workspaceId', 'at'])
export class AuditEntry {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => String, {
    description: 'e.g. member.invited, member.role_changed, api_key.created, api_key.revoked, team.deleted',
  })
  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_api_key_id', type: 'uuid', nullable: true })
  actorApiKeyId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Who acted, as they were called then (a user or an API key); kept after they are gone.',
  })
  @Column({ name: 'actor_name', type: 'text', nullable: true })
  actorName!: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType!: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  @Field(() => JsonValue, { nullable: true })
  @Column({ type: 'jsonb', nullable: true })
  details!: Record<string, unknown> | null;

  @Field(() => Date)
  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;
}

@ObjectType('AuditEntryConnection')
export class AuditEntryConnection {
  @Field(() => [AuditEntry])
  nodes!: AuditEntry[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
