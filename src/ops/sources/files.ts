/** Resolving a source's path or glob to files, at check time and at run time. */
import { existsSync, statSync } from 'node:fs';
import { OpError } from '../types.js';
import { dirname, relative } from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import type { Params, SchemaContext, SourceInput } from '../types.js';

export { matchFiles, packageDir, resolvePath, type ResolvedPath } from '../../core/paths.js';
import { matchFiles, resolvePath } from '../../core/paths.js';

/** Check-time: report a path that matches nothing, before any data is read. */
export function checkFilesExist(ctx: SchemaContext, param = 'path'): SourceInput[] {
  const pattern = ctx.params[param] as string;
  let files: SourceInput[];
  try {
    files = matchFiles(pattern, ctx.baseDir);
  } catch (e) {
    if (!(e instanceof OpError) || e.name === 'PermissionError' || (e as { flag?: string }).flag) throw e;
    ctx.error(param, e.message, { help: 'name a regular file, a folder of files or a glob' });
    return [];
  }
  if (!files.length) {
    const { abs, pkg } = resolvePath(pattern, ctx.baseDir);
    if (!isDynamicPattern(pattern) && existsSync(abs) && statSync(abs).isDirectory()) {
      ctx.error(param, `\`${pattern}\` is a folder, and it holds no files`, { label: 'a folder, not a file', help: 'put the data files in it, or name a file' });
      return files;
    }
    // another cell writes it: read when the run gets here (columns are then not known before)
    if (ctx.producer?.(isDynamicPattern(pattern) ? dirname(abs.split(/[*?{[]/)[0] + 'x') : abs)) return files;
    if (pkg && !existsSync(pkg.dir)) {
      ctx.error(param, `package \`${pkg.label.slice(4)}\` is not installed`, { help: `npm install ${pkg.label.slice(4)}` });
      return files;
    }
    ctx.error(param, isDynamicPattern(pattern) ? `no files match \`${pattern}\`` : `file not found: \`${pattern}\``, {
      label: 'nothing to read here',
      notes: [`looked in ${relative(process.cwd(), isDynamicPattern(pattern) ? ctx.baseDir : abs) || '.'}`, 'paths are relative to the recipe file'],
    });
  }
  return files;
}

/** `inputs` of a source whose `path` param names its files. */
export async function pathInputs(params: Params, ctx: { baseDir: string }): Promise<SourceInput[]> {
  return matchFiles(params.path as string, ctx.baseDir);
}
