/**
 * Keys and certificates come from the environment as PEM text or as the path of a file holding it
 * (`DKIM_PRIVATE_KEY`, `SMTP_TLS_CA`): one reader for both, naming the variable when neither works.
 */
import { readFileSync } from 'node:fs';
import { NewsdeskError } from '../domain/errors.ts';

/**
 * The PEM text `value` holds, read from the file it names when it holds none itself.
 * @throws NewsdeskError (`code`) naming `variable` when it is neither.
 */
export function readPemSource(value: string, variable: string, code: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new NewsdeskError(code, `${variable}: not PEM text, and no readable file at ${value} (${(err as Error).message})`);
  }
}
