import { describe, expect, it } from 'vitest';
import { socketUrl } from './socket-url.js';
import { tokenGrant } from './payloads.js';

describe('socketUrl', () => {
  it.each([
    ['http://127.0.0.1:3000', 'ws://127.0.0.1:3000/v1/sockets'],
    ['http://127.0.0.1:3000/', 'ws://127.0.0.1:3000/v1/sockets'],
    ['https://hub.example.com', 'wss://hub.example.com/v1/sockets'],
    ['https://hub.example.com/switchboard/', 'wss://hub.example.com/switchboard/v1/sockets'],
    ['http://h:1/v1/sockets', 'ws://h:1/v1/sockets'],
    ['ws://h:1', 'ws://h:1/v1/sockets'],
    ['wss://h/custom/path', 'wss://h/custom/path'],
    ['ws://h:1/v1/sockets?x=1', 'ws://h:1/v1/sockets?x=1'],
  ])('%s -> %s', (given, expected) => {
    expect(socketUrl(given)).toBe(expected);
  });

  it('refuses other schemes', () => {
    expect(() => socketUrl('ftp://h')).toThrow(TypeError);
    expect(() => socketUrl('not a url')).toThrow(TypeError);
  });
});

describe('tokenGrant', () => {
  const encode = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('reads the worker, the workspace and the expiry of a TaskRouter token', () => {
    const token = `${encode({ alg: 'HS256' })}.${encode({ exp: 2_000_000_000, grants: { task_router: { worker_sid: 'WK1', workspace_sid: 'WS1' } } })}.sig`;
    expect(tokenGrant(token)).toEqual({ workerSid: 'WK1', workspaceSid: 'WS1', expiresAt: new Date(2_000_000_000_000) });
  });

  it('gives empty values for anything else', () => {
    expect(tokenGrant('garbage')).toEqual({ workerSid: '', workspaceSid: '', expiresAt: null });
  });
});
