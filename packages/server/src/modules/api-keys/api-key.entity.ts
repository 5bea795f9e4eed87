import { ApiKeyRole, ApiKeyStatus, scopesForApiKeyRole } from '@tally/shared';
import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** An API key's metadata. The secret itself is never stored; `secretHash` never leaves the server. */
@ObjectType('ApiKey')
@Entity({ name: 'api_keys' })
@Index('api_keys_prefix_idx', ['prefix'])
export class ApiKey {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => String)
  @Column({ type: 'text' })
  name!: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Field(() => ApiKeyRole)
  @Column({ type: 'text' })
  role!: ApiKeyRole;

  @Field(() => String, { description: 'The public start of the secret, enough to tell keys apart; never the secret.' })
  @Column({ type: 'text' })
  prefix!: string;

  @Column({ name: 'secret_hash', type: 'bytea', select: false })
  secretHash!: Buffer;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdById!: string | null;

  @Field(() => Date)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'The addresses and CIDR ranges (IPv4, IPv6) this key is accepted from; null when any address may use it.',
  })
  @Column({ name: 'allowed_ips', type: 'text', array: true, nullable: true })
  allowedIps!: string[] | null;

  /** The key this one replaced, when it was made by rolling that key (ApiKeyResolver.rolledFrom). */
  @Column({ name: 'rolled_from_id', type: 'uuid', nullable: true })
  rolledFromId!: string | null;

  /** The key made by rolling this one (ApiKeyResolver.replacedBy); this one ends with its grace. */
  @Column({ name: 'replaced_by_id', type: 'uuid', nullable: true })
  replacedById!: string | null;

  /** Events per minute this key may send; null: the server's default (ApiKeyResolver.rateLimits). */
  @Column({ name: 'events_per_minute', type: 'integer', nullable: true })
  eventsPerMinute!: number | null;

  /** Analytics queries per minute this key may run; null: the server's default. */
  @Column({ name: 'queries_per_minute', type: 'integer', nullable: true })
  queriesPerMinute!: number | null;

  @Field(() => [String])
  get scopes(): string[] {
    return [...scopesForApiKeyRole(this.role)];
  }

  /** Derived on every read by ApiKeyResolver.status (from its clock), never stored. */
  @Field(() => ApiKeyStatus)
  status?: ApiKeyStatus;
}

/** The auth checker's workspace of an ApiKey parent (its own fields: usage, limits). */
export function apiKeyWorkspaceOf(root: unknown): string | undefined {
  return root instanceof ApiKey ? root.workspaceId : undefined;
}
