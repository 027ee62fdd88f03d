import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 'gh1';

/**
 * Envelope encryption for connection secrets. Each secret gets its own random data key (AES-256-GCM);
 * the data key is wrapped under the server's key (GATEHOUSE_SECRETS_KEY; in embedded mode a key file in
 * the data folder). The connection's id is authenticated with the secret, so a sealed value copied onto
 * another connection does not open. Sealed form: `gh1.<key id>.<wrapped data key>.<iv>.<ciphertext>.<tag>`
 * (base64url parts); the key id tells which server key sealed it, for rotation and clear errors.
 */
export class SecretBox {
  private loaded: Buffer | null | undefined;

  /** The key is read (or, embedded, made) on first use: a process that never seals or opens makes no file. */
  private constructor(private readonly loadKey: () => Buffer | null) {}

  static fromConfig(config: GatehouseConfig): SecretBox {
    const configured = config.secretsKey;
    if (configured) {
      return new SecretBox(() => Buffer.from(configured.reveal(), 'base64'));
    }
    if (config.database.kind === 'sqlite') {
      return new SecretBox(() => embeddedKey(config.dataDir));
    }
    return new SecretBox(() => null);
  }

  private get key(): Buffer | null {
    if (this.loaded === undefined) {
      this.loaded = this.loadKey();
    }
    return this.loaded;
  }

  seal(secret: string, boundTo: string): string {
    const key = this.requireKey('field');
    const dataKey = randomBytes(32);
    const wrapIv = randomBytes(12);
    const wrap = createCipheriv('aes-256-gcm', key, wrapIv);
    const wrapped = Buffer.concat([wrapIv, wrap.update(dataKey), wrap.final(), wrap.getAuthTag()]);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, keyId(key), wrapped, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, boundTo: string): string {
    const key = this.requireKey('run');
    const [version, kid, wrappedB64, ivB64, ciphertextB64, tagB64] = sealed.split('.');
    if (version !== VERSION || kid !== keyId(key)) {
      throw new Error(
        'the connection secret was sealed under another key than this server’s GATEHOUSE_SECRETS_KEY: set the same key on every API and worker process, or save the secret again',
      );
    }
    const wrapped = Buffer.from(wrappedB64, 'base64url');
    const unwrap = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
    unwrap.setAuthTag(wrapped.subarray(wrapped.length - 16));
    const dataKey = Buffer.concat([unwrap.update(wrapped.subarray(12, wrapped.length - 16)), unwrap.final()]);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(ivB64, 'base64url'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(Buffer.from(tagB64, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertextB64, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }

  private requireKey(use: 'field' | 'run'): Buffer {
    if (this.key) {
      return this.key;
    }
    const message =
      'this server has no GATEHOUSE_SECRETS_KEY, so connections cannot hold secrets: an operator sets it (32 random bytes, base64) on the API and every worker';
    if (use === 'field') {
      throw DomainError.validation([{ field: 'secret', message, code: 'no_secrets_key' }], message);
    }
    throw new Error(message);
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Embedded mode's key: made once in the data folder, readable by its owner only. */
function embeddedKey(dataDir: string): Buffer {
  const file = join(dataDir, 'secrets.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) {
    throw new Error(
      `${file} does not hold 32 bytes in base64: remove it to make a new key (saved secrets are then lost)`,
    );
  }
  return key;
}
