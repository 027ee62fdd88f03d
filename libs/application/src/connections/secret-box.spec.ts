import { loadConfig } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const postgres = (key?: string) =>
  SecretBox.fromConfig(
    loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/x', ...(key ? { GATEHOUSE_SECRETS_KEY: key } : {}) }),
  );

describe('SecretBox (connection secrets sealed under the server key)', () => {
  it('opens what it sealed, and the sealed text holds neither the secret nor a fixed pattern', () => {
    const box = postgres(KEY_A);
    const sealed = box.seal('sk-live-secret', 'connection:1');
    expect(sealed).toMatch(/^gh1\.[0-9a-f]{12}\./);
    expect(sealed).not.toContain('sk-live-secret');
    expect(box.seal('sk-live-secret', 'connection:1')).not.toBe(sealed); // a fresh data key and IV each time
    expect(box.open(sealed, 'connection:1')).toBe('sk-live-secret');
  });

  it('refuses a sealed secret copied onto another connection', () => {
    const box = postgres(KEY_A);
    const sealed = box.seal('sk-live-secret', 'connection:1');
    expect(() => box.open(sealed, 'connection:2')).toThrow();
  });

  it('says so when the secret was sealed under another key (a worker without the same GATEHOUSE_SECRETS_KEY)', () => {
    const sealed = postgres(KEY_A).seal('sk-live-secret', 'connection:1');
    expect(() => postgres(KEY_B).open(sealed, 'connection:1')).toThrow(/sealed under another key/);
  });

  it('refuses to seal on PostgreSQL without a key, naming the field and the variable', () => {
    const attempt = () => postgres().seal('sk-live-secret', 'connection:1');
    expect(attempt).toThrow(DomainError);
    expect(attempt).toThrow(/GATEHOUSE_SECRETS_KEY/);
  });

  it('embedded: makes one key file, readable by its owner only, on first use and not before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
    try {
      const config = loadConfig({ GATEHOUSE_DATA_DIR: dir });
      const box = SecretBox.fromConfig(config);
      expect(existsSync(join(dir, 'secrets.key'))).toBe(false);
      const sealed = box.seal('sk-embedded', 'connection:9');
      expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);
      expect(SecretBox.fromConfig(config).open(sealed, 'connection:9')).toBe('sk-embedded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
