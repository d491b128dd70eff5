/**
 * The one way an argument list becomes a command line for a remote POSIX shell. SSH sends the remote
 * side a single string that the user's login shell parses again, so every argument must reach it as one
 * literal word: nothing a shell expands ($, `, *, ~, newlines, ;) may survive outside quotes.
 *
 * Single quotes are used for every argument, even harmless ones: inside them a POSIX shell expands
 * nothing at all, so the only character needing care is the single quote itself, closed, escaped and
 * reopened as '\''. One rule for all arguments leaves no "safe character" list to get wrong.
 */
export function shellQuote(args: readonly string[]): string {
  return args.map(quoteOne).join(' ');
}

function quoteOne(arg: string, index: number): string {
  // A C string ends at NUL: the remote shell would silently run a shorter argument than was asked for.
  const nul = arg.indexOf('\0');
  if (nul >= 0) {
    throw new Error(`argument ${index + 1} contains a NUL byte (at ${nul}): a remote shell cannot receive it`);
  }
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
