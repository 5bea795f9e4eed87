import { Scope, WorkspaceKind } from '@tally/shared';
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequiresScopes, UsersOnly } from '../../auth/declarations';
import type { AuthContext } from '../../auth/context';
import { principalOf, userIdOf } from '../../auth/principal';
import type { EventStore } from '../events/event-store';
import { DAY_MS } from '../events/time-range';
import { Workspace } from './workspace.entity';
import type { WorkspaceService, WorkspaceWithRole } from './workspace.service';

/** How far back a team's events make it "a team with data" for `homeWorkspace`. */
export const HOME_DATA_DAYS = 90;

/**
 * Where the dashboard opens after log-in (issue 20, "a first day that leads somewhere"): the
 * workspace the user opened last, remembered on the server so that it follows them to every
 * browser; else the first team (by name) with events in the last 90 days; else the personal
 * workspace. A new member of a busy team so lands on its data, not on an empty Getting started.
 */
export class HomeWorkspaceService {
  constructor(
    private readonly workspaces: Pick<WorkspaceService, 'listForUser' | 'remembered' | 'remember'>,
    private readonly events: Pick<EventStore, 'activity'>,
  ) {}

  /** When the workspace's newest event (of the last 90 days) happened; null when none arrived. */
  async lastEventAt(workspaceId: string, now = new Date()): Promise<Date | null> {
    const from = new Date(now.getTime() - HOME_DATA_DAYS * DAY_MS);
    // Up to a day ahead, as ingest accepts it.
    const to = new Date(now.getTime() + DAY_MS);
    const page = await this.events.activity({ workspaceId, from, to, filters: [] }, { first: 1, after: null });
    return page.nodes[0]?.timestamp ?? null;
  }

  async home(userId: string, now = new Date()): Promise<WorkspaceWithRole | null> {
    const [all, remembered] = await Promise.all([
      this.workspaces.listForUser(userId),
      this.workspaces.remembered(userId),
    ]);
    const last = all.find((row) => row.workspace.id === remembered);
    if (last) return last;
    for (const row of all) {
      if (row.workspace.kind !== WorkspaceKind.TEAM) continue;
      if ((await this.lastEventAt(row.workspace.id, now)) !== null) return row;
    }
    return all.find((row) => row.workspace.kind === WorkspaceKind.PERSONAL) ?? all[0] ?? null;
  }

  remember(userId: string, workspaceId: string): Promise<boolean> {
    return this.workspaces.remember(userId, workspaceId);
  }
}

const PEOPLE_ONLY = 'API keys belong to one workspace.';

@Resolver()
export class HomeWorkspaceResolver {
  constructor(private readonly service: HomeWorkspaceService) {}

  @Query(() => Workspace, {
    nullable: true,
    description:
      'Where the dashboard opens: the workspace opened last, else the first team with events in the last 90 days, else the personal workspace.',
  })
  @UsersOnly()
  async homeWorkspace(@Ctx() ctx: AuthContext): Promise<Workspace | null> {
    const home = await this.service.home(userIdOf(principalOf(ctx), PEOPLE_ONLY));
    if (!home) return null;
    ctx.primeAccess(home.workspace.id, home.role);
    return home.workspace;
  }

  @Mutation(() => Boolean, { description: 'Remembers the workspace the user opened, for homeWorkspace.' })
  @UsersOnly()
  rememberWorkspace(@Arg('workspaceId', () => ID) workspaceId: string, @Ctx() ctx: AuthContext): Promise<boolean> {
    return this.service.remember(userIdOf(principalOf(ctx), PEOPLE_ONLY), workspaceId);
  }
}

/** Whether events have arrived (Getting started's second step shows "done" by it). */
@Resolver(() => Workspace)
export class WorkspaceLastEventResolver {
  constructor(private readonly service: HomeWorkspaceService) {}

  @FieldResolver(() => Date, {
    nullable: true,
    description: "When the workspace's newest event of the last 90 days happened; null when none arrived.",
  })
  @RequiresScopes(Scope.ANALYTICS_VIEW)
  lastEventAt(@Root() workspace: Workspace): Promise<Date | null> {
    return this.service.lastEventAt(workspace.id);
  }
}
