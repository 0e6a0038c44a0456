import { describe, expect, it } from 'vitest';
import { webSocketUrl } from './wsUrl';

describe('webSocketUrl', () => {
  it('uses ws: on http pages and resumes from a position', () => {
    expect(webSocketUrl({ protocol: 'http:', host: 'ctl:8080' }, 'abc', 42)).toBe(
      'ws://ctl:8080/api/v1/ws?token=abc&from=42',
    );
  });

  it('uses wss: on https pages and omits what is unknown', () => {
    expect(webSocketUrl({ protocol: 'https:', host: 'ctl' }, null, null)).toBe('wss://ctl/api/v1/ws');
  });

  it('escapes the token', () => {
    expect(webSocketUrl({ protocol: 'http:', host: 'h' }, 'a+b/c', null)).toBe('ws://h/api/v1/ws?token=a%2Bb%2Fc');
  });
});
