import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@ObjectType('User')
@Entity({ name: 'users' })
export class User {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stored trimmed and lower-cased; unique. */
  @Field(() => String)
  @Column({ type: 'text', unique: true })
  email!: string;

  @Field(() => String)
  @Column({ type: 'text' })
  name!: string;

  /** argon2id, PHC string. Never exposed: it has no @Field. */
  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash!: string;

  @Field(() => Date)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when the account was deleted: the row stays, anonymised, for what still names it. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true, select: false })
  deletedAt!: Date | null;

  /** The workspace the user opened last (any browser); read through `homeWorkspace` only. */
  @Column({ name: 'last_workspace_id', type: 'uuid', nullable: true, select: false })
  lastWorkspaceId!: string | null;
}
