#!/usr/bin/env node
// The `evaltrack` command line is planned (its own issue); the name is reserved so that
// installing the package already gives the command.
process.stderr.write(
  'evaltrack: the command line is not built yet; use the library (see README.md)\n',
);
process.exitCode = 2;
