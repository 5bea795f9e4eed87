import { Code, Stack, Text } from '@mantine/core';
import { type ApiKeyRole, Scope, can, scopesFor } from '@tally/shared';
import { useId } from 'react';
import { CopyableCode } from '../../app/ui/copyable-code';
import { API_KEY_ROLE_LABEL } from './api-key-format';
import { KEY_PLACEHOLDER, apiKeyRolesWith } from './api-key-example';
import { OTLP_ENDPOINT_PATH, claudeCodeEnv } from './claude-code-env';

interface ClaudeCodeSetupProps {
  /** This Tally's address, as the browser reached it. */
  origin: string;
  /** The key itself while it is on screen (the dialog that shows it once); else a placeholder. */
  secret?: string;
  /** The key's role: nothing is shown for a role that cannot send events. */
  role?: ApiKeyRole;
}

/**
 * The environment variables to paste for Claude Code (and any OpenTelemetry logs exporter), filled
 * with this Tally's URL and, while it is shown, the key: used by Getting started, API Keys and
 * the dialog that shows a new key once.
 */
export function ClaudeCodeSetup({ origin, secret, role }: ClaudeCodeSetupProps) {
  const titleId = useId();
  if (role && !can(scopesFor({ kind: 'apiKey', role }), Scope.EVENTS_TRACK)) return null;
  const roles = apiKeyRolesWith(Scope.EVENTS_TRACK)
    .map((each) => API_KEY_ROLE_LABEL[each])
    .join(' or ');
  return (
    <Stack gap={6} component="section" aria-labelledby={titleId}>
      <Text size="sm" fw={600} id={titleId}>
        Claude Code and other OpenTelemetry agents
      </Text>
      <Text size="sm" c="dimmed">
        Set these before starting <Code>claude</Code>: its tool calls, API requests and prompts arrive here as events,
        with their sessions.{' '}
        {secret ? (
          <>They carry this key.</>
        ) : (
          <>
            Put an {roles} key in place of <Code>{KEY_PLACEHOLDER}</Code>.
          </>
        )}{' '}
        Codex CLI and other OpenTelemetry log exporters send to the same endpoint,{' '}
        <Code style={{ wordBreak: 'break-all' }}>{`${origin}${OTLP_ENDPOINT_PATH}`}</Code>, over HTTP in protobuf or
        JSON.
      </Text>
      <CopyableCode code={claudeCodeEnv(origin, secret)} label="Copy the Claude Code settings" />
    </Stack>
  );
}
