/** File-system failures a user can act on, said plainly instead of as a stack trace. */
const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full — free space, or move the cache with --cache-dir',
  EDQUOT: 'the disk quota is exhausted — free space, or move the cache with --cache-dir',
  EROFS: 'the file system is read-only — move the cache with --cache-dir (or the output elsewhere)',
  EACCES: 'permission denied — check the folder\'s permissions, or use --cache-dir',
  EPERM: 'operation not permitted — check the folder\'s permissions, or use --cache-dir',
  ENOTDIR: 'a path component is a file, not a folder',
  ENOENT: 'a folder on the way is missing and could not be created',
  EMFILE: 'too many open files — raise the limit (ulimit -n)',
};

export function describeIoError(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== 'string' || !HINTS[err.code]) return undefined;
  return `cannot ${err.syscall ?? 'access'} ${err.path ?? 'a file'}: ${HINTS[err.code]} (${err.code})`;
}
