/**
 * A list's optional filters as a `where` clause and its parameters, written
 * once for both stores: `?` placeholders for SQLite, `$1`, `$2`... for
 * PostgreSQL.
 */
export class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];
  /** numbered: PostgreSQL's `$n` placeholders, else SQLite's `?`. */
  constructor(private readonly numbered: boolean) {}
  /** A condition, `sql` with one `?` per value (the values are never spliced into the text). */
  add(sql: string, ...values: unknown[]): void {
    let text = sql;
    for (const value of values) {
      this.params.push(value);
      if (this.numbered) text = text.replace('?', `$${this.params.length}`);
    }
    this.clauses.push(text);
  }
  /** The next parameter's placeholder, for what follows the where clause. */
  next(value: unknown): string {
    this.params.push(value);
    return this.numbered ? `$${this.params.length}` : '?';
  }
  toString(): string {
    return this.clauses.length ? `where ${this.clauses.join(' and ')}` : '';
  }
}
