/**
 * The proof-of-work challenge of the public sign-up form, with ALTCHA's open-source library
 * (`altcha-lib` here, the `altcha` widget in the browser; nothing leaves this server).
 *
 * A challenge asks the browser to find the counter whose PBKDF2 key (1,000 iterations) starts with
 * a given prefix: a random counter up to SUBSCRIBE_PROOF_OF_WORK_MAX, so the browser tries about
 * half that many keys, a second or two in a widget, while checking costs this server one HMAC.
 * Challenges are signed (with a key derived from the link-signing secret) and expire; a solved one
 * is spent in Redis by its nonce, so one solution buys one sign-up.
 *
 * The payload is what the widget puts in its hidden `altcha` field: base64 of the JSON
 * `{ challenge, solution: { counter, derivedKey } }`.
 */
import { createHmac } from 'node:crypto';
import { createChallenge, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { z } from 'zod';
import type { Keys, RedisClient } from '../../store/redis.ts';

/** Key derivation the challenge asks for: WebCrypto has it natively, so browsers solve it fast. */
const ALGORITHM = 'PBKDF2/SHA-256';
const COST = 1_000;
/** How long a challenge may be solved and spent after it was handed out. */
export const CHALLENGE_TTL_MS = 10 * 60_000;

export interface ProofOfWorkOptions {
  redis: RedisClient;
  keys: Keys;
  /** The link-signing secret (`config.secrets[0]`); the challenge keys are derived from it. */
  secret: string;
  /** The largest counter a challenge may ask for (SUBSCRIBE_PROOF_OF_WORK_MAX). */
  maxCounter: number;
}

/** Why a payload did not buy a sign-up, or `solved` when it did. */
export type ProofOfWorkVerdict = 'solved' | 'missing' | 'malformed' | 'expired' | 'wrong' | 'spent';

export interface ProofOfWork {
  /** A fresh signed challenge, as JSON for the widget (`GET /altcha/challenge`). */
  challenge(): Promise<unknown>;
  /** Checks a payload and, when it is a valid solution, spends it. */
  verify(payload: string | undefined): Promise<ProofOfWorkVerdict>;
}

const Payload = z.object({
  challenge: z.object({
    parameters: z.strictObject({
      algorithm: z.literal(ALGORITHM),
      nonce: z.string().regex(/^[0-9a-f]{1,128}$/),
      salt: z.string().max(256),
      cost: z.number(),
      keyLength: z.number(),
      keyPrefix: z.string().max(256),
      keySignature: z.string().max(256).optional(),
      expiresAt: z.number().optional(),
    }),
    signature: z.string().max(256).optional(),
  }),
  solution: z.object({ counter: z.number(), derivedKey: z.string().max(256) }),
});

/** Decodes the widget's base64 JSON payload; null when it is not one. */
function decode(payload: string) {
  try {
    const parsed = Payload.safeParse(JSON.parse(Buffer.from(payload, 'base64').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Creates the challenge source and checker over Redis (for spent challenges). */
export function createProofOfWork(options: ProofOfWorkOptions): ProofOfWork {
  const { redis, keys } = options;
  // Separate keys for separate jobs: nothing signed here can pass as a link token, or back.
  const derive = (purpose: string) => createHmac('sha256', options.secret).update(`newsdesk-altcha-${purpose}-v1`).digest('hex');
  const signatureSecret = derive('challenge');
  const keySignatureSecret = derive('key');
  const minCounter = Math.max(1, Math.floor(options.maxCounter / 2));

  return {
    challenge: () =>
      createChallenge({
        algorithm: ALGORITHM,
        cost: COST,
        counter: randomInt(options.maxCounter, minCounter),
        deriveKey,
        expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
        hmacSignatureSecret: signatureSecret,
        hmacKeySignatureSecret: keySignatureSecret,
      }),

    async verify(payload) {
      if (!payload) return 'missing';
      const decoded = decode(payload);
      if (!decoded) return 'malformed';
      const result = await verifySolution({
        challenge: decoded.challenge,
        solution: decoded.solution,
        deriveKey,
        hmacSignatureSecret: signatureSecret,
        hmacKeySignatureSecret: keySignatureSecret,
      }).catch(() => null);
      if (!result) return 'malformed';
      if (result.expired) return 'expired';
      if (!result.verified) return 'wrong';
      // Spent once: the key outlives the challenge, after which the expiry refuses it anyway.
      const spent = await redis.set(keys.proofOfWorkSpent(decoded.challenge.parameters.nonce), '1', 'PX', CHALLENGE_TTL_MS + 60_000, 'NX');
      return spent === 'OK' ? 'solved' : 'spent';
    },
  };
}

/** What to tell a sign-up whose proof of work did not pass, by verdict. */
export const PROOF_OF_WORK_PROBLEMS: Record<Exclude<ProofOfWorkVerdict, 'solved'>, string> = {
  missing: 'required: solve the challenge from GET /altcha/challenge and send the solution as "altcha" (the form does this for you)',
  malformed: 'not a solved challenge: send the base64 JSON { challenge, solution } the ALTCHA widget produces',
  expired: 'the challenge expired: fetch a new one from GET /altcha/challenge and solve it',
  wrong: 'the solution does not solve the challenge',
  spent: 'this solution was already used: each sign-up needs a freshly solved challenge',
};
