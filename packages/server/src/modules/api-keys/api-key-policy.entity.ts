import { ApiKeyRole } from '@tally/shared';
import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A workspace's rules for its keys; a workspace without a row has none (every field null/false). */
@ObjectType('ApiKeyPolicy', {
  description: 'What new and rolled keys of a workspace must respect; existing keys outside it are flagged.',
})
@Entity({ name: 'api_key_policies' })
export class ApiKeyPolicy {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Field(() => Int, { nullable: true, description: 'New keys must expire within this many days; null: no limit.' })
  @Column({ name: 'max_lifetime_days', type: 'integer', nullable: true })
  maxLifetimeDays!: number | null;

  @Field(() => ApiKeyRole, { nullable: true, description: 'The highest role a key may have; null: any.' })
  @Column({ name: 'max_role', type: 'text', nullable: true })
  maxRole!: ApiKeyRole | null;

  @Field(() => Boolean, { description: 'Whether every key needs an IP allowlist.' })
  @Column({ name: 'require_allowlist', type: 'boolean', default: false })
  requireAllowlist!: boolean;
}

/** Why a key is outside its workspace's policy. */
export const ApiKeyPolicyViolation = {
  LIFETIME: 'LIFETIME',
  ROLE: 'ROLE',
  NO_ALLOWLIST: 'NO_ALLOWLIST',
} as const;
export type ApiKeyPolicyViolation = (typeof ApiKeyPolicyViolation)[keyof typeof ApiKeyPolicyViolation];
