import { Scope, WorkspaceKind } from '@tally/shared';
import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Public, RequiresScopes } from '../../auth/declarations';

@ObjectType('Workspace')
@Entity({ name: 'workspaces' })
@Index('workspaces_personal_owner_uq', ['personalOwnerId'], { unique: true, where: 'personal_owner_id IS NOT NULL' })
export class Workspace {
  @Field(() => ID, { description: 'Always readable by anyone who may reach the workspace.' })
  @Public('reachable only through a workspace the caller may already see')
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => WorkspaceKind)
  @RequiresScopes(Scope.WORKSPACE_READ)
  @Column({ type: 'text' })
  kind!: WorkspaceKind;

  @Field(() => String)
  @RequiresScopes(Scope.WORKSPACE_READ)
  @Column({ type: 'text' })
  name!: string;

  @Field(() => Date)
  @RequiresScopes(Scope.WORKSPACE_READ)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** The user whose personal workspace this is; null for teams. At most one per user. */
  @Column({ name: 'personal_owner_id', type: 'uuid', nullable: true })
  personalOwnerId!: string | null;

  /** Set when a team is deleted: from then on it is NOT_FOUND everywhere. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

/** The auth checker's WorkspaceOfRoot (auth/auth-checker.ts): a Workspace parent is its own workspace. */
export function workspaceOfRoot(root: unknown): string | undefined {
  return root instanceof Workspace ? root.id : undefined;
}
