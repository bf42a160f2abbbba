/**
 * newsdesk's errors. Each has a stable `code` that scripts and the HTTP API can rely on.
 * Expected outcomes (a skipped recipient, an already-sent delivery) are return values, not errors.
 */
export class NewsdeskError extends Error {
  constructor(
    /** Stable, machine-readable identifier, e.g. `edition_invalid`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in an input, located by a path (`watching[0].image.alt`) and, where known, a line. */
export interface InputProblem {
  path: string;
  message: string;
  line?: number;
}

/** Bad input (a file, a row, a body): every problem found, not just the first. */
export class ValidationError extends NewsdeskError {
  constructor(
    code: string,
    /** What was being read, e.g. the file name. */
    readonly source: string,
    readonly problems: InputProblem[],
  ) {
    super(code, `${source}: ${problems.map(formatProblem).join('; ')}`);
  }
}

/** `line 12: watching[0].image.alt: required` — the form every command prints. */
export function formatProblem(p: InputProblem): string {
  return `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Something the caller named does not exist (a list, a campaign, a subscriber). */
export class NotFoundError extends NewsdeskError {
  constructor(what: string, id: string) {
    super('not_found', `${what} not found: ${id}`);
  }
}
