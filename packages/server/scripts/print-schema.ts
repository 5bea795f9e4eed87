import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printTallySchema } from '../src/graphql/print';

/** Writes packages/server/schema.graphql from the code; a test fails when the file drifts. */
async function main(): Promise<void> {
  const sdl = await printTallySchema();
  const target = join(__dirname, '..', 'schema.graphql');
  writeFileSync(target, sdl);
  console.log(`wrote ${target}`);
}

void main();
