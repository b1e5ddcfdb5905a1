/**
 * Tells whether an error is PostgreSQL's unique violation (23505); returns the constraint's
 * name, or `unique` when the driver does not say.
 */
export function isUniqueViolation(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint, message } = error as {
    code?: unknown;
    constraint?: unknown;
    message?: unknown;
  };
  if (code !== '23505') return undefined;
  if (typeof constraint === 'string') return constraint;
  if (typeof message === 'string') return /email/.test(message) ? 'users_email_key' : 'unique';

  return 'unique';
}

/** Tells whether an error is PostgreSQL's foreign key violation (23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503'
  );
}
