// The package as published: `npm pack`, then installed into an empty project as a user installs it,
// its binary run through npx and its library called from a node script.
//
// Without network: the project's node_modules is seeded with the package's runtime dependencies
// (the non-dev packages of package-lock.json, copied from this repository's node_modules), and
// `npm install <tarball> --offline` then finds every dependency satisfied and fetches nothing. A
// dependency added to package.json but not to the lock file makes the install fail (ENOTCACHED).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 40_000,
    env: { ...process.env, NO_COLOR: '1', npm_config_offline: 'true', npm_config_fund: 'false' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Top-level packages the published package needs at run time, from the lock file. */
function runtimeDependencies(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; peer?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(
      ([path, p]) =>
        /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && !p.dev && !p.devOptional && !p.peer,
    )
    .map(([path]) => path.slice('node_modules/'.length));
}

describe('the published package', () => {
  it('packs what a user needs, installs offline, runs npx evaltrack and the library', () => {
    using dir = tempDir();
    const pack = run('npm', ['pack', '--json', '--pack-destination', dir.path], ROOT);
    expect(pack.code, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);

    // What the README shows or links to is in the package, and so are the license and the binary.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]!);
    expect(linked).toEqual(
      expect.arrayContaining(['docs/ui-runs.png', 'docs/ui-run.png', 'docs/ui-compare.png']),
    );
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/cli/bin.js', ...linked]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|scripts|examples)\/|\.test\./.test(f))).toEqual(
      [],
    );

    const project = join(dir.path, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "user-project", "private": true }\n');
    for (const dep of runtimeDependencies()) {
      cpSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep), {
        recursive: true,
      });
    }
    const install = run(
      'npm',
      ['install', join(dir.path, packed!.filename), '--offline', '--no-audit', '--no-package-lock'],
      project,
    );
    expect(install.code, install.stderr).toBe(0);

    const installed = join(project, 'node_modules', PKG.name);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect({
      license: manifest['license'],
      engines: manifest['engines'],
      repository: manifest['repository'],
      keywords: (manifest['keywords'] as string[]).includes('gllm-evals'),
    }).toEqual({
      license: 'MIT',
      engines: { node: '>=20' },
      repository: { type: 'git', url: 'git+https://github.com/evaltrack/evaltrack.git' },
      keywords: true,
    });
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
    expect(license.split('\n').slice(0, 3)).toEqual([
      'MIT License',
      '',
      'Copyright (c) 2026 the evaltrack authors',
    ]);

    writeFileSync(
      join(project, 'log.mjs'),
      [
        "import { CSVExperimentTracker } from 'evaltrack/csv';",
        "const t = new CSVExperimentTracker('p', { outputDir: './results' });",
        'const r = { generation: { score: 1, success: true, aggregate_score: 1, aggregate_success: true } };',
        "t.log(r, 'faq', { id: 'q1', input: 'How long do refunds take?' }, { runId: 'r1' });",
        "t.log({ generation: { ...r.generation, aggregate_success: false } }, 'faq', { id: 'q2' }, { runId: 'r1' });",
        'const runs = await t.getExperimentHistory();',
        'console.log(JSON.stringify(runs.map((x) => [x.runId, x.datasetName, x.totalData, x.averageScore])));',
        "console.log(import.meta.resolve('evaltrack/csv'));",
        'await t.close();',
      ].join('\n'),
    );
    expect(run(process.execPath, ['log.mjs'], project)).toEqual({
      code: 0,
      stdout: `[["r1","faq",2,0.5]]\n${pathToFileURL(join(installed, 'dist', 'csv.js')).href}\n`,
      stderr: '',
    });

    expect(run('npx', ['--no-install', 'evaltrack', '--version'], project)).toEqual({
      code: 0,
      stdout: `${PKG.version}\n`,
      stderr: '',
    });
  });
});
