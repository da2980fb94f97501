import { Type } from 'typebox';

/** The seed's error body, plus a stable `code` and the request id for support. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    message: Type.String({ examples: ['Invalid input'] }),
    error: Type.String({ examples: ['Bad Request'] }),
    code: Type.String({ examples: ['VALIDATION_FAILED'] }),
    requestId: Type.Optional(Type.String()),
  },
  { description: 'Every error answer; `code` is listed in docs/errors.md' },
);

export const MessageSchema = Type.Object({ message: Type.String() });

/** Error responses a route can give, by status. */
export function errorResponses(...statusCodes: number[]) {
  return Object.fromEntries(statusCodes.map((status) => [status, ErrorSchema]));
}

export const bearerAuth = [{ bearerAuth: [] }];
