/** One account per mailbox: "  Ann@Example.COM " and "ann@example.com" are the same person. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
