import { InvitationStatus, MemberRole, invitationStatus } from '@tally/shared';
import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An invitation to a team. Its token is never stored, only its SHA-256 hash; the status is
 * derived (accepted and revoked are final; a pending one past `expiresAt` is EXPIRED).
 */
@ObjectType('Invitation')
@Entity({ name: 'invitations' })
export class Invitation {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Trimmed and lower-cased. */
  @Field(() => String)
  @Column({ type: 'text' })
  email!: string;

  @Field(() => MemberRole)
  @Column({ type: 'text' })
  role!: MemberRole;

  @Column({ name: 'token_hash', type: 'bytea', select: false })
  tokenHash!: Buffer;

  @Column({ name: 'invited_by', type: 'uuid', nullable: true })
  invitedById!: string | null;

  @Field(() => Date)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the link was last sent (created or resent).' })
  @Column({ name: 'last_sent_at', type: 'timestamptz' })
  lastSentAt!: Date;

  @Field(() => Date, { description: '7 days after the link was last sent.' })
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt!: Date | null;

  @Column({ name: 'accepted_by', type: 'uuid', nullable: true })
  acceptedById!: string | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the mail server took the latest email.' })
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'send_attempts', type: 'integer', default: 0 })
  sendAttempts!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Why the latest email could not be sent yet (it is retried); null once it is.',
  })
  @Column({ name: 'last_send_error', type: 'text', nullable: true })
  lastSendError!: string | null;

  @Field(() => InvitationStatus)
  get status(): InvitationStatus {
    return invitationStatus(this);
  }
}

/**
 * What an invitation link shows before anyone signs in: nothing more than this. A spent link
 * (ACCEPTED or REVOKED) tells only its status, role and expiry: the names, the email and
 * `accountExists` are then empty, unless the signed-in caller is the invited person.
 */
@ObjectType('InvitationPreview', { description: 'What an invitation link shows before anyone signs in.' })
export class InvitationPreview {
  @Field(() => String, {
    description: 'Empty once the invitation was accepted or revoked, unless the caller is the invited person.',
  })
  workspaceName!: string;

  @Field(() => String, {
    description: 'Empty once the invitation was accepted or revoked, unless the caller is the invited person.',
  })
  email!: string;

  @Field(() => MemberRole)
  role!: MemberRole;

  @Field(() => InvitationStatus)
  status!: InvitationStatus;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => Boolean, {
    description: 'Whether an account with the invited email exists: the page offers sign-in or sign-up.',
  })
  accountExists!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'The name of who invited, to say whom to ask for a new link; null once the invitation was accepted or revoked, unless the caller is the invited person.',
  })
  invitedByName!: string | null;
}
