import { describe, expect, it } from 'vitest';
import { createEmails } from './emails.js';

const emails = createEmails({
  brand: { name: 'Acme <Identity>', logoUrl: 'https://cdn.example.com/logo.png', color: '#aa3300' },
  publicUrl: 'https://id.example.com',
});

describe('emails', () => {
  it('gives the verification code a text part and an HTML part whose button fills in the code', () => {
    const message = emails.verificationCode('ann+x@example.com', '123456', 300);
    expect(message.text).toContain('Your verification code is 123456');
    const link = 'https://id.example.com/verify-email?email=ann%2Bx%40example.com&code=123456';
    expect(message.text).toContain(`Verify my email: ${link}`);
    expect(message.html).toContain(`href="${link.replace('&', '&amp;')}"`);
    expect(message.html).toContain('background:#aa3300');
    expect(message.html).toContain('<img src="https://cdn.example.com/logo.png"');
  });

  it('escapes the brand and every value in the HTML part', () => {
    const message = emails.accountCreated('<script>@example.com');
    expect(message.html).toContain('Acme &lt;Identity&gt;');
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;@example.com');
  });

  it('names each purpose in its own words: the sign-in code is not the sign-up email', () => {
    const signIn = emails.signInCode('ann@example.com', '654321', 300);
    const signUp = emails.verificationCode('ann@example.com', '654321', 300);
    expect(signIn.subject).not.toBe(signUp.subject);
    expect(signIn.text).not.toContain('create an account');
    expect(signIn.html).not.toContain('verify-email');
  });
});
