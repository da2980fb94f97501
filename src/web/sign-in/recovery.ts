import type { FastifyPluginAsync } from 'fastify';
import type { FieldErrors } from '../components.js';
import { attempt } from '../error-messages.js';
import { formFields, notesOf, type PageKit, renderPage } from '../kit.js';
import { checkEmail, checkNewPassword, limited, page } from './forms.js';
import { forgotPasswordView, passwordResetDoneView, resetPasswordView } from './views.js';

/** Password recovery: the request for a link, and the emailed link's page that sets the new password. */
export function recoveryPages(kit: PageKit): FastifyPluginAsync {
  const { services, cookies, csrf } = kit;

  return async (app) => {
    app.get('/forgot-password', page, async (request, reply) =>
      renderPage(kit, request, reply, {
        title: 'Forgot your password?',
        body: forgotPasswordView({ csrf: csrf.tokenFor(request) }),
      }),
    );

    app.post('/forgot-password', limited('reset-request'), async (request, reply) => {
      const form = formFields(request.body, ['email']);
      const errors: FieldErrors = {};
      checkEmail(form.email, errors);
      const state = { csrf: csrf.tokenFor(request), email: form.email, errors };
      if (Object.keys(errors).length > 0) {
        return renderPage(kit, request, reply, {
          title: 'Forgot your password?',
          body: forgotPasswordView(state),
          status: 400,
        });
      }
      const { notes, status } = notesOf(
        await attempt(() => services.passwords.requestReset(form.email)),
        'If an account uses this address, we have sent it a link to choose a new password. It works for one hour.',
      );
      return renderPage(kit, request, reply, {
        title: 'Forgot your password?',
        body: forgotPasswordView({ ...state, ...notes }),
        status,
      });
    });

    app.get('/reset-password', page, async (request, reply) => {
      const token = (request.query as Record<string, unknown>).token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 512) {
        return renderPage(kit, request, reply, {
          title: 'Forgot your password?',
          body: forgotPasswordView({
            csrf: csrf.tokenFor(request),
            problem: 'This reset link is not complete. Ask for a new one below.',
          }),
          status: 400,
        });
      }
      return renderPage(kit, request, reply, {
        title: 'Choose a new password',
        body: resetPasswordView({ csrf: csrf.tokenFor(request), token }),
      });
    });

    app.post('/reset-password', page, async (request, reply) => {
      const form = formFields(request.body, ['token', 'password']);
      const errors: FieldErrors = {};
      checkNewPassword(form.password, errors);
      const state = { csrf: csrf.tokenFor(request), token: form.token, errors };
      if (Object.keys(errors).length === 0) {
        const outcome = await attempt(() => services.passwords.resetPassword(form.token, form.password));
        if (outcome.ok) {
          // Every session ended, this browser's too.
          cookies.clearSession(reply);
          request.principal = null;
          return renderPage(kit, request, reply, { title: 'Password changed', body: passwordResetDoneView() });
        }
        const { code } = outcome.error;
        if (code === 'RESET_TOKEN_INVALID' || code === 'RESET_TOKEN_EXPIRED') {
          return renderPage(kit, request, reply, {
            title: 'Forgot your password?',
            body: forgotPasswordView({ csrf: csrf.tokenFor(request), problem: outcome.sentence }),
            status: outcome.error.statusCode,
          });
        }
        errors.password = outcome.sentence;
      }
      return renderPage(kit, request, reply, {
        title: 'Choose a new password',
        body: resetPasswordView(state),
        status: 400,
      });
    });
  };
}
