import { ApiKeyRole, LIMITS } from '@tally/shared';
import { ArrayMaxSize, MaxLength } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
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

@ArgsType()
export class SetApiKeyRateLimitsArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  apiKeyId!: string;

  @Field(() => Int, {
    nullable: true,
    description: "Events the key may send per minute (1 to the server's maximum); null: the server's default.",
  })
  eventsPerMinute?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Analytics queries the key may run per minute (1 to the server's maximum); null: the server's default.",
  })
  queriesPerMinute?: number | null;
}

@ArgsType()
export class ApiKeyUsageArgs {
  @Field(() => Date, {
    nullable: true,
    description: 'The first day (UTC) to show; by default 29 days before `to`. At most 90 days in all.',
  })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'The last day (UTC) to show; by default today.' })
  to?: Date | null;
}

@ObjectType('ApiKeyRateLimits', { description: 'The per-minute limits a key works under.' })
export class ApiKeyRateLimits {
  @Field(() => Int, { description: 'Events the key may send per minute (POST /v1/events, OTLP).' })
  eventsPerMinute!: number;

  @Field(() => Int, { description: 'Analytics queries (fields) the key may run per minute over GraphQL.' })
  queriesPerMinute!: number;

  @Field(() => Boolean, { description: "Whether the key has limits of its own; else the server's defaults apply." })
  custom!: boolean;

  @Field(() => Int, { description: 'The highest events per minute a key may be given on this server.' })
  maxEventsPerMinute!: number;

  @Field(() => Int, { description: 'The highest analytics queries per minute a key may be given on this server.' })
  maxQueriesPerMinute!: number;
}

@ObjectType('ApiKeyUsageDay', { description: "One UTC day of a key's use." })
export class ApiKeyUsageDay {
  @Field(() => Date, { description: 'The day, at 00:00 UTC.' })
  day!: Date;

  @Field(() => Float, { description: 'Events accepted (stored from batches that were taken).' })
  eventsAccepted!: number;

  @Field(() => Int, { description: "Event batches refused by the key's rate limit (429)." })
  batchesRefusedRateLimit!: number;

  @Field(() => Int, { description: 'Event batches refused as invalid (400).' })
  batchesRefusedInvalid!: number;

  @Field(() => Int, { description: "Requests refused because they came from outside the key's IP allowlist." })
  requestsRefusedAddress!: number;

  @Field(() => Int, { description: 'GraphQL requests made with the key.' })
  graphqlRequests!: number;

  @Field(() => Int, { description: 'Exports started with the key.' })
  exports!: number;
}
