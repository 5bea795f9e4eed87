import { LIMITS } from '@tally/shared';

/** The name of a workspace or team, checked before asking the server (which checks the same). */
export function workspaceNameProblem(name: string, noun: 'team' | 'workspace' = 'workspace'): string | null {
  const value = name.trim();
  if (value === '') return `Enter a name for the ${noun}.`;
  if (value.length > LIMITS.workspaceNameMaxLength) return `Use at most ${LIMITS.workspaceNameMaxLength} characters.`;
  return null;
}
