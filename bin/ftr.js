#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `ftr run … | head`: a closed pipe is the reader's choice, not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    // a bug, not a user error: say so, with what a report needs
    process.stderr.write(`ftr: unexpected error — please report it with the recipe that caused it\n${e?.stack ?? e}\n`);
    process.exitCode = 3;
  },
);
