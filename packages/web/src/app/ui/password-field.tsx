import { PasswordInput, type PasswordInputProps } from '@mantine/core';

/**
 * Mantine's PasswordInput with what it leaves out: its <input> is marked `aria-invalid` when
 * the field has a problem (Mantine marks only its other inputs), and its show/hide button, a
 * Tab stop (theme), is named "Show password" and pressed while the characters show.
 */
export function PasswordField({ error, visibilityToggleButtonProps, ...props }: PasswordInputProps) {
  return (
    <PasswordInput
      {...props}
      error={error}
      aria-invalid={error ? true : undefined}
      visibilityToggleButtonProps={{ 'aria-label': 'Show password', ...visibilityToggleButtonProps }}
    />
  );
}
