import nodemailer from 'nodemailer';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The same message as HTML; the text part is always sent too. */
  html?: string | undefined;
}

/** Delivers one email or throws; retries are the outbox's business. */
export interface EmailTransport {
  send(message: EmailMessage): Promise<void>;
  close?(): void;
}

/** Development default: the whole message on standard output, so the code can be read off the terminal. */
export function createConsoleTransport(
  write: (text: string) => void = (text) => process.stdout.write(text),
): EmailTransport {
  return {
    async send({ to, subject, text }) {
      write(`\n----- email -----\nTo: ${to}\nSubject: ${subject}\n\n${text}\n-----------------\n`);
    },
  };
}

export function createSmtpTransport(smtpUrl: string, from: string): EmailTransport {
  // Bounded well below the outbox's claim time, so a hung server fails the attempt instead of stalling it.
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send({ to, subject, text, html }) {
      await transporter.sendMail({ from, to, subject, text, ...(html ? { html } : {}) });
    },
    close: () => transporter.close(),
  };
}
