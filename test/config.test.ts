/** Configuration is read once from the environment; a bad value names its variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dbPath: './data/spendbook.db',
      adminKey: undefined,
      logLevel: 'info',
      rateLimit: 6000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HOST: '0.0.0.0',
        SPENDBOOK_DB: '/var/lib/spendbook.db',
        SPENDBOOK_ADMIN_KEY: 'a-long-enough-admin-key',
        LOG_LEVEL: 'warn',
        SPENDBOOK_RATE_LIMIT: '120',
      }),
    ).toEqual({ port: 8080, host: '0.0.0.0', dbPath: '/var/lib/spendbook.db', adminKey: 'a-long-enough-admin-key', logLevel: 'warn', rateLimit: 120 });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', SPENDBOOK_ADMIN_KEY: '', SPENDBOOK_RATE_LIMIT: '' })).toMatchObject({ port: 3000, adminKey: undefined, rateLimit: 6000 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['LOG_LEVEL', 'loud'],
    ['SPENDBOOK_ADMIN_KEY', 'short'],
    ['SPENDBOOK_ADMIN_KEY', 'has a space in it, which is no good'],
    ['SPENDBOOK_RATE_LIMIT', '0'],
    ['SPENDBOOK_RATE_LIMIT', '-10'],
    ['SPENDBOOK_RATE_LIMIT', '100.5'],
    ['SPENDBOOK_RATE_LIMIT', '1e4'],
    ['SPENDBOOK_RATE_LIMIT', 'unlimited'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration:\\n  ${name}: `));
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT: .*\n {2}LOG_LEVEL: /s);
  });
});
