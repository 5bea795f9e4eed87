import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { createKey, createUser } from '@tally/server-test/factories';
import { type TestServer, startTestServer } from '@tally/server-test/harness';
import { claudeCodeEnv } from '../src/modules/api-keys/claude-code-env';

/** The variables of the snippet, as a shell would set them. */
function parseEnv(snippet: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of snippet.split('\n')) {
    const match = /^export ([A-Z_]+)=(?:"(.*)"|(\S*))$/.exec(line);
    if (!match?.[1]) throw new Error(`not an export line: ${line}`);
    env[match[1]] = match[2] ?? match[3] ?? '';
  }
  return env;
}

describe('the Claude Code settings shown on Getting started, API Keys and with a new key', () => {
  it('are the five variables, with this Tally and the key', () => {
    expect(parseEnv(claudeCodeEnv('https://tally.example', 'tly_secret'))).toEqual({
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://tally.example/otlp',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer tly_secret',
    });
    expect(claudeCodeEnv('https://tally.example')).toContain('Authorization=Bearer tly_…');
  });

  describe('work: an OpenTelemetry exporter set up only by them reports into the key’s workspace', () => {
    let server: TestServer | undefined;
    const saved: Record<string, string | undefined> = {};
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(async () => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await server?.close();
    });

    it('sends a record that lands as an event', async () => {
      if (!server) throw new Error('the server starts in beforeAll');
      const owner = await createUser(server);
      const { secret } = await createKey(server, owner, owner.personalWorkspaceId, { name: 'Claude', role: 'EDITOR' });
      for (const [name, value] of Object.entries(parseEnv(claudeCodeEnv(server.url, secret)))) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
      // No url and no headers given: the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS.
      const exporter = new OTLPLogExporter();
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'claude-code' }),
        processors: [new SimpleLogRecordProcessor(memory)],
      });
      const sessionId = `env-${owner.id}`;
      provider.getLogger('com.anthropic.claude_code.events').emit({
        body: 'claude_code.tool_result',
        attributes: { 'session.id': sessionId, 'event.name': 'tool_result', tool_name: 'Grep', success: 'true' },
      });
      await provider.forceFlush();
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) => {
        exporter.export([...memory.getFinishedLogRecords()], resolve);
      });
      await exporter.shutdown();
      await provider.shutdown();
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      const session = await server.tally.services.events.session(owner.personalWorkspaceId, sessionId);
      expect(session).toMatchObject({ eventCount: 1, attributes: { 'service.name': 'claude-code' } });
    });
  });
});
