import { Scope } from '@tally/shared';
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import type { AccountsContext } from '../accounts/account-context';
import { principalOf } from '../../auth/principal';
import { User } from '../accounts/user.entity';
import { DateRangeInput } from '../../platform/date-range';
import { Workspace } from '../workspaces/workspace.entity';
import { Annotation, AnnotationInput } from './annotation.entity';
import { ANNOTATIONS_LISTED, type AnnotationService } from './annotation.service';

@Resolver(() => Annotation)
export class AnnotationResolver {
  constructor(private readonly annotations: AnnotationService) {}

  @Mutation(() => Annotation)
  @RequiresScopes(Scope.ANNOTATIONS_MANAGE)
  createAnnotation(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('input', () => AnnotationInput) input: AnnotationInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<Annotation> {
    return this.annotations.create(workspaceId, input, principalOf(ctx));
  }

  @Mutation(() => Annotation)
  @RequiresScopes(Scope.ANNOTATIONS_MANAGE)
  updateAnnotation(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('annotationId', () => ID) annotationId: string,
    @Arg('input', () => AnnotationInput) input: AnnotationInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<Annotation> {
    return this.annotations.update(workspaceId, annotationId, input, principalOf(ctx));
  }

  @Mutation(() => Boolean)
  @RequiresScopes(Scope.ANNOTATIONS_MANAGE)
  async deleteAnnotation(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('annotationId', () => ID) annotationId: string,
    @Ctx() ctx: AccountsContext,
  ): Promise<boolean> {
    await this.annotations.delete(workspaceId, annotationId, principalOf(ctx));
    return true;
  }

  @FieldResolver(() => User, { nullable: true })
  createdBy(@Root() annotation: Annotation, @Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return annotation.createdById ? ctx.loaders.users.load(annotation.createdById) : null;
  }
}

@Resolver(() => Workspace)
export class WorkspaceAnnotationsResolver {
  constructor(private readonly service: AnnotationService) {}

  @FieldResolver(() => [Annotation], {
    description: `In time order, at most ${ANNOTATIONS_LISTED}; within the range when one is given.`,
    complexity: ({ childComplexity }) => 1 + ANNOTATIONS_LISTED * childComplexity,
  })
  @RequiresScopes(Scope.ANALYTICS_VIEW)
  annotations(
    @Root() workspace: Workspace,
    @Arg('range', () => DateRangeInput, { nullable: true }) range: DateRangeInput | undefined,
  ): Promise<Annotation[]> {
    return this.service.list(workspace.id, range ?? null);
  }
}
