import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

// A WebAuthn authenticator in software, for API tests: it answers creation and request
// options the way a platform authenticator does (attestation "none", ES256, user verified).
// The browser tests use Chromium's own virtual authenticator instead.

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const buffer = Buffer.alloc(3);
  buffer[0] = (major << 5) | 25;
  buffer.writeUInt16BE(length, 1);
  return buffer;
}

/** The subset of CBOR (RFC 8949) that attestation objects and COSE keys use. */
function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([cborHead(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  return Buffer.concat([cborHead(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer) => data.toString('base64url');

const flags = { userPresent: 0x01, userVerified: 0x04, backupEligible: 0x08, backedUp: 0x10, attestedData: 0x40 };

interface Credential {
  id: Buffer;
  key: KeyObject;
  counter: number;
}

export interface CreationOptions {
  challenge: string;
  rp: { id?: string };
}

export interface AssertionChoices {
  counter?: number;
  verified?: boolean;
  credentialIndex?: number;
  at?: string;
  forRp?: string;
  tampered?: boolean;
}

export interface RequestOptions {
  challenge: string;
  allowCredentials?: Array<{ id: string }>;
}

export function createSoftwareAuthenticator({
  origin,
  rpId,
  synced = false,
}: {
  origin: string;
  rpId: string;
  synced?: boolean;
}) {
  const credentials: Credential[] = [];
  const syncFlags = synced ? flags.backupEligible | flags.backedUp : 0;

  function authenticatorData(flagBits: number, counter: number, attested?: Buffer, forRp = rpId): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(forRp), Buffer.from([flagBits]), count, ...(attested ? [attested] : [])]);
  }

  const clientData = (type: string, challenge: string, at = origin) =>
    Buffer.from(JSON.stringify({ type, challenge, origin: at, crossOrigin: false }));

  return {
    credentials,

    /** navigator.credentials.create: a new key pair, answered with attestation "none". */
    register(options: CreationOptions, { at = origin }: { at?: string } = {}) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const id = randomBytes(16);
      credentials.push({ id, key: privateKey, counter: 0 });
      const coseKey = new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x ?? '', 'base64url')],
        [-3, Buffer.from(jwk.y ?? '', 'base64url')],
      ]);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(id.length);
      const attested = Buffer.concat([Buffer.alloc(16), length, id, cbor(coseKey)]);
      const authData = authenticatorData(
        flags.userPresent | flags.userVerified | flags.attestedData | syncFlags,
        0,
        attested,
      );
      const attestationObject = cbor(
        new Map<Cbor, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      );
      return {
        id: b64url(id),
        rawId: b64url(id),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge, at)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform' as const,
      };
    },

    /**
     * navigator.credentials.get with the first of our credentials the options allow (or any).
     * `counter` overrides the next signature count (a clone replays an old one); `verified` false
     * answers with presence but no user verification; `at` and `forRp` answer as if for another
     * page or relying party (a phishing site); `tampered` corrupts the signature.
     */
    assert(options: RequestOptions, assertion: AssertionChoices = {}) {
      const { counter, verified = true, credentialIndex, at = origin, forRp = rpId, tampered = false } = assertion;
      const allowed = new Set((options.allowCredentials ?? []).map((credential) => credential.id));
      const credential =
        credentialIndex !== undefined
          ? credentials[credentialIndex]
          : credentials.find((candidate) => allowed.size === 0 || allowed.has(b64url(candidate.id)));
      if (!credential) throw new Error('no credential for these options');
      credential.counter = counter ?? (synced ? 0 : credential.counter + 1);
      const flagBits = flags.userPresent | (verified ? flags.userVerified : 0) | syncFlags;
      const authData = authenticatorData(flagBits, credential.counter, undefined, forRp);
      const clientDataJSON = clientData('webauthn.get', options.challenge, at);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.key);
      if (tampered) signature[signature.length - 1] = (signature.at(-1) ?? 0) ^ 0xff;
      return {
        id: b64url(credential.id),
        rawId: b64url(credential.id),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform' as const,
      };
    },
  };
}
