import { ApiKeyRole, LIMITS } from '@tally/shared';
import { ArrayMaxSize, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ApiKey } from './api-key.entity';

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field(() => String)
  @MaxLength(LIMITS.apiKeyNameMaxLength + 100)
  name!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(LIMITS.apiKeyDescriptionMaxLength + 100)
  description?: string | null;

  @Field(() => ApiKeyRole)
  role!: ApiKeyRole;

  @Field(() => Date, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Addresses and CIDR ranges (IPv4, IPv6; at most 50) the key is accepted from; none: any address.',
  })
  @ArrayMaxSize(LIMITS.apiKeyAllowlistMaxEntries + 10)
  @MaxLength(100, { each: true })
  allowedIps?: string[] | null;
}

@ArgsType()
export class CreateApiKeyArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => CreateApiKeyInput)
  input!: CreateApiKeyInput;
}

@ArgsType()
export class RevokeApiKeyArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  apiKeyId!: string;
}

@ArgsType()
export class RollApiKeyArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  apiKeyId!: string;

  @Field(() => Date, {
    nullable: true,
    description:
      'Until when the old key keeps working: at most 7 days ahead; now (or earlier) ends it at once; by default 24 hours from now.',
  })
  graceUntil?: Date | null;
}

@ArgsType()
export class SetApiKeyAllowedIpsArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  apiKeyId!: string;

  @Field(() => [String], {
    nullable: true,
    description: 'The new allowlist (at most 50 addresses or CIDR ranges); null or empty removes it.',
  })
  @ArrayMaxSize(LIMITS.apiKeyAllowlistMaxEntries + 10)
  @MaxLength(100, { each: true })
  allowedIps?: string[] | null;
}

@InputType('ApiKeyPolicyInput')
export class ApiKeyPolicyInput {
  @Field(() => Int, {
    nullable: true,
    description: 'New keys must expire within this many days (1 to 3650); null: no limit.',
  })
  maxLifetimeDays?: number | null;

  @Field(() => ApiKeyRole, { nullable: true, description: 'The highest role a key may have; null: any.' })
  maxRole?: ApiKeyRole | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether every key needs an IP allowlist (default false).' })
  requireAllowlist?: boolean | null;
}

@ArgsType()
export class SetApiKeyPolicyArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ApiKeyPolicyInput)
  input!: ApiKeyPolicyInput;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The full secret. Returned by createApiKey only; no query can read it again.' })
  secret!: string;
}
