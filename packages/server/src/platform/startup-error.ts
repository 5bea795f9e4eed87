/**
 * A setting or a folder that cannot work. main.ts prints its message as one line, with no
 * stack trace: the message names what is wrong, why, and what to write instead.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The short reason of a file-system error: "permission denied" rather than a stack. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EEXIST':
      return 'a file of that name exists and is not a folder';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'ENOENT':
      return 'a part of the path does not exist';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
