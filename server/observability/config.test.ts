/** The configuration operators give by environment: every bad value named at once, secrets never echoed. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';

describe('loadConfig for operations', () => {
  it('reads LOG_FORMAT and SWITCHBOARD_METRICS_TOKEN', () => {
    expect(loadConfig({ LOG_FORMAT: 'JSON', SWITCHBOARD_METRICS_TOKEN: 'scrape-token-0123456789' })).toMatchObject({
      logFormat: 'json',
      metricsToken: 'scrape-token-0123456789',
    });
    expect(loadConfig({})).not.toHaveProperty('logFormat');
    expect(loadConfig({})).not.toHaveProperty('metricsToken');
  });

  it('names every bad variable and what it expects, in one message', () => {
    const env = { PORT: '-1', LOG_LEVEL: 'loud', LOG_FORMAT: 'xml', SWITCHBOARD_DEMO: 'maybe' };
    expect(() => loadConfig(env)).toThrow(
      [
        'PORT must be an integer from 0 to 65535, got "-1"',
        'SWITCHBOARD_DEMO must be one of true/false/1/0/yes/no/on/off, got "maybe"',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        'LOG_FORMAT must be one of auto, json, pretty, got "xml"',
      ].join('\n'),
    );
  });

  it('never repeats a bad metrics token', () => {
    let message = '';
    try {
      loadConfig({ SWITCHBOARD_METRICS_TOKEN: 'short secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('SWITCHBOARD_METRICS_TOKEN must be 16 to 512 printable characters without spaces');
  });
});
