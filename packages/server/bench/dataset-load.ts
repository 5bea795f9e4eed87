import { SyntheticEvents } from './dataset';

/**
 * Sends a synthetic dataset (dataset.ts) through `POST /v1/events`, as a client importing a month
 * of events would, run as its own process (on the load generator's core when the bench pins):
 * `node dataset-load.js <url> <key> <count> <batch> <inFlight> <nowMs> <fromMs> <toMs>`.
 *
 * Batches go in the dataset's order (time order), `inFlight` at once, each with client ids and
 * timestamps, and must be answered 202 with every event accepted. Prints `{ events, errors,
 * inRange: { events, errors }, batches, seconds }` as JSON: what the server was sent, and of it
 * what lies in [fromMs, toMs), for checking the dashboard's answer.
 */

interface Counts {
  events: number;
  errors: number;
  inRange: { events: number; errors: number };
  batches: number;
  seconds: number;
}

async function main(): Promise<void> {
  const [url = '', key = '', count = '1000000', batch = '1000', inFlight = '4', nowMs, fromMs, toMs] =
    process.argv.slice(2);
  const dataset = new SyntheticEvents(Number(count), { batchSize: Number(batch), now: new Date(Number(nowMs)) });
  const from = Number(fromMs);
  const to = Number(toMs);
  const counts: Counts = { events: 0, errors: 0, inRange: { events: 0, errors: 0 }, batches: 0, seconds: 0 };
  let next = 0;
  const worker = async () => {
    while (next < dataset.batchCount) {
      const { events, sessions } = dataset.batch(next);
      next += 1;
      for (const event of events) {
        const at = event.timestamp.getTime();
        const error = event.status === 'error';
        if (error) counts.errors += 1;
        if (at >= from && at < to) {
          counts.inRange.events += 1;
          if (error) counts.inRange.errors += 1;
        }
      }
      const body = JSON.stringify({
        events: events.map((e) => ({
          id: e.id,
          sessionId: e.sessionId,
          name: e.name,
          type: e.type,
          timestamp: e.timestamp.toISOString(),
          userId: e.userId,
          durationMs: e.durationMs,
          status: e.status,
          properties: e.properties,
        })),
        sessions: sessions.map((s) => ({ id: s.id, userId: s.userId, attributes: s.attributes })),
      });
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      });
      const answer = (await response.json()) as { accepted?: number };
      if (response.status !== 202 || answer.accepted !== events.length) {
        throw new Error(`ingest answered ${response.status}: ${JSON.stringify(answer)}`);
      }
      counts.events += events.length;
      counts.batches += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Number(inFlight)) }, worker));
  counts.seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
