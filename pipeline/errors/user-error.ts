/**
 * An error whose message is written for the person running the command: the CLI prints
 * it as one line, without a stack trace, and exits non-zero.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
