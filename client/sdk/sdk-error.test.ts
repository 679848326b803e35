import { describe, expect, it } from 'vitest';
import { SwitchboardError } from './sdk-error.js';

describe('SwitchboardError', () => {
  it("carries a hub reply's status, code and message, without a stack trace, and leaves the stack depth as it was", () => {
    const before = Error.stackTraceLimit;
    const error = SwitchboardError.from({ code: 20410, message: 'Reservation WR1 was rescinded', status: 410 });
    expect(error).toBeInstanceOf(SwitchboardError);
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.status, error.code, error.message]).toEqual(['SwitchboardError', 410, 20410, 'Reservation WR1 was rescinded']);
    expect(error.stack).toBe('SwitchboardError: Reservation WR1 was rescinded');
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('keeps the stack trace of an error the SDK raises itself', () => {
    const error = SwitchboardError.local('UNAVAILABLE', 'Not connected to the hub');
    expect(error.status).toBe(503);
    expect(error.stack).toMatch(/\n\s+at /);
  });
});
