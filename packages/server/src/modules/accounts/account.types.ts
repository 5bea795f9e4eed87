import { LIMITS } from '@tally/shared';
import { MaxLength } from 'class-validator';
import { ArgsType, Field, ObjectType } from 'type-graphql';
import { User } from './user.entity';

@ObjectType('AuthPayload', {
  description: 'The access token is a short-lived JWT; the refresh token travels in an httpOnly cookie.',
})
export class AuthPayload {
  @Field(() => String)
  accessToken!: string;

  @Field(() => User)
  user!: User;
}

// Edge guards only (oversized input is refused before any work); the rules with their
// messages live in AccountService, which also normalises the email first.
@ArgsType()
export class LogInArgs {
  @Field(() => String)
  @MaxLength(LIMITS.emailMaxLength + 64)
  email!: string;

  @Field(() => String)
  @MaxLength(LIMITS.passwordMaxLength)
  password!: string;
}

@ArgsType()
export class SignUpArgs extends LogInArgs {
  @Field(() => String)
  @MaxLength(LIMITS.userNameMaxLength + 64)
  name!: string;
}
