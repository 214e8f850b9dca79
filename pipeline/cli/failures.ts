import { CommanderError, type Command } from 'commander';
import { UserError } from '../errors/user-error.js';

/**
 * Makes commander report usage errors (unknown option or command, a missing argument, a
 * command without its subcommand) by throwing instead of printing a bare `error:` line or the
 * whole help and exiting, so that the CLI reports them as every other failure: one line.
 * Help asked for (`--help`, `help`) still prints to stdout.
 */
export function throwUsageErrors(program: Command): void {
  const visit = (command: Command, path: string) => {
    command.configureOutput({
      // Help written as an error is the usage of a group called without its subcommand.
      writeErr: () => undefined,
      outputError: () => undefined,
    });
    command.exitOverride((error) => {
      if (error.exitCode === 0) throw error;
      throw new UserError(usageMessage(error, path), { cause: error });
    });
    for (const sub of command.commands) visit(sub, `${path} ${sub.name()}`);
  };
  visit(program, program.name());
}

function usageMessage(error: CommanderError, path: string): string {
  if (error.code === 'commander.help' || error.code === 'commander.helpDisplayed') {
    const name = path.split(' ').slice(1).join(' ');
    return `${name === '' ? 'a command is needed' : `${name} needs a command`}; see \`${path} --help\``;
  }
  const text = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
  return `${text}; see \`${path} --help\``;
}

/** True when commander stopped because help or the version was printed as asked: not a failure. */
export function isHelpExit(error: unknown): boolean {
  return error instanceof CommanderError && error.exitCode === 0;
}
