import type { EventFilter } from '@tally/shared';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { MaxLength, ValidateNested } from 'class-validator';
import { JsonValue } from '../../platform/scalars';
import { EventFilterInput } from './event-filter.inputs';

/** A named event filter a workspace keeps for its analytics pages and reporting tools. */
@ObjectType('SavedFilter')
@Entity({ name: 'saved_filters' })
export class SavedFilter {
  @PrimaryColumn({ name: 'workspace_id', type: 'uuid' })
  workspaceId!: string;

  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => String)
  @Column({ type: 'text' })
  name!: string;

  /** Normalised EventFilterInput (see saved-filter.service.ts). */
  @Field(() => JsonValue)
  @Column({ type: 'jsonb' })
  filter!: EventFilter;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdById!: string | null;

  @Field(() => Date)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date)
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

@InputType('SavedFilterInput')
export class SavedFilterInput {
  @Field(() => String)
  @MaxLength(500)
  name!: string;

  @Field(() => EventFilterInput)
  @ValidateNested()
  filter!: EventFilterInput;
}
