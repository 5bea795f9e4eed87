import { MemberRole } from '@tally/shared';
import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A user's role in a workspace: the row the auth checker reads once per request. */
@ObjectType('Member')
@Entity({ name: 'members' })
@Index('members_user_idx', ['userId'])
export class Membership {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Field(() => MemberRole)
  @Column({ type: 'text' })
  role!: MemberRole;

  @Field(() => Date)
  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' })
  joinedAt!: Date;
}
