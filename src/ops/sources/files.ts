/** Resolving a source's path or glob to files, at check time and at run time. */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import type { SchemaContext, SourceInput } from '../types.js';

export function matchFiles(pattern: string, baseDir: string): SourceInput[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  let paths: string[];
  if (isDynamicPattern(pattern)) {
    paths = globSync(pattern, { cwd: baseDir, absolute: true, onlyFiles: true, dot: false });
  } else if (existsSync(abs) && statSync(abs).isDirectory()) {
    paths = globSync('**/*', { cwd: abs, absolute: true, onlyFiles: true });
  } else {
    paths = existsSync(abs) ? [abs] : [];
  }
  // sorted by relative path, so the dataset does not depend on directory order
  return paths
    .map((p) => ({ path: p, label: relative(baseDir, p).split('\\').join('/') }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** Check-time: report a path that matches nothing, before any data is read. */
export function checkFilesExist(ctx: SchemaContext, param = 'path'): SourceInput[] {
  const pattern = ctx.params[param] as string;
  const files = matchFiles(pattern, ctx.baseDir);
  if (!files.length) {
    const abs = resolve(ctx.baseDir, pattern);
    ctx.error(param, isDynamicPattern(pattern) ? `no files match \`${pattern}\`` : `file not found: \`${pattern}\``, {
      label: 'nothing to read here',
      notes: [`looked in ${relative(process.cwd(), isDynamicPattern(pattern) ? ctx.baseDir : abs) || '.'}`, 'paths are relative to the recipe file'],
    });
  }
  return files;
}
