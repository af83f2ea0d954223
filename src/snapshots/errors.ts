/** A team, account or snapshot that does not exist for the caller's team (other teams' ids included). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(what: string) {
    super(`${what} not found`);
  }
}
