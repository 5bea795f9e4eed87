import { KEY_PLACEHOLDER } from './api-key-example';

/**
 * Where OpenTelemetry exporters send: `OTEL_EXPORTER_OTLP_ENDPOINT`, to which they add
 * `/v1/logs` (the server's `POST /otlp/v1/logs`).
 */
export const OTLP_ENDPOINT_PATH = '/otlp';

/**
 * The five environment variables that make Claude Code report to this Tally (its "Monitoring"
 * documentation): telemetry on, logs over OTLP/HTTP in protobuf, this Tally's endpoint, the key.
 */
export function claudeCodeEnv(origin: string, key: string = KEY_PLACEHOLDER): string {
  return [
    'export CLAUDE_CODE_ENABLE_TELEMETRY=1',
    'export OTEL_LOGS_EXPORTER=otlp',
    'export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${origin}${OTLP_ENDPOINT_PATH}`,
    `export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer ${key}"`,
  ].join('\n');
}
