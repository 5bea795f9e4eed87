import { MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A note pinned to a moment of a workspace's timeline ("v2.3 released"); shown on Overview's chart. */
@ObjectType('Annotation')
@Entity({ name: 'annotations' })
export class Annotation {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => Date)
  @Column({ type: 'timestamptz' })
  at!: Date;

  @Field(() => String)
  @Column({ type: 'text' })
  text!: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdById!: string | null;

  @Field(() => Date)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@InputType('AnnotationInput')
export class AnnotationInput {
  @Field(() => Date)
  at!: Date;

  @Field(() => String)
  @MaxLength(2000)
  text!: string;
}
