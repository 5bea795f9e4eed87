import { type PasswordInputProps, TextInput, type TextInputProps } from '@mantine/core';
import { LIMITS } from '@tally/shared';
import { PasswordField } from '../../app/ui/password-field';
import { PASSWORD_HINT } from './credentials';

/**
 * The fields every form that creates an account or sets a password shares (sign-up, the
 * invitation's sign-up, the password reset), written once; a form passes its input props.
 */
export function NameField(props: TextInputProps) {
  return (
    <TextInput
      label="Name"
      name="name"
      autoComplete="name"
      required
      withAsterisk={false}
      maxLength={LIMITS.userNameMaxLength}
      {...props}
    />
  );
}

/** A new password with its rules shown below it. */
export function NewPasswordField(props: PasswordInputProps) {
  return (
    <PasswordField
      label="Password"
      name="password"
      description={PASSWORD_HINT}
      autoComplete="new-password"
      required
      withAsterisk={false}
      minLength={LIMITS.passwordMinLength}
      maxLength={LIMITS.passwordMaxLength}
      {...props}
    />
  );
}
