import { Field, ObjectType } from 'type-graphql';
import { badInput } from '../errors';

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** `first` of a list argument: default when absent, capped, never below 1. */
export function pageSize(first: number | null | undefined, defaults: { default: number; max: number }): number {
  if (first === null || first === undefined) return defaults.default;
  if (!Number.isInteger(first) || first < 1) throw badInput('`first` must be a positive whole number.');
  return Math.min(first, defaults.max);
}

/** Opaque cursors: base64url of a JSON array of the sort key. Anything else is BAD_USER_INPUT. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): string[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  if (!Array.isArray(key) || key.length !== length || !key.every((part) => typeof part === 'string')) {
    throw badInput('This cursor is not valid: pass an endCursor this API returned.', { field: 'after' });
  }
  return key as string[];
}
