// Module hooks (node --import test/helpers/module-log.mjs): each module the process loads from
// dist/ or node_modules/ is written to stderr as `module <path>`, for the start-up test.
export async function load(url, context, next) {
  const at = url.search(/\/(dist|node_modules)\//);
  if (at !== -1) process.stderr.write(`module ${url.slice(at + 1)}\n`);
  return next(url, context);
}
