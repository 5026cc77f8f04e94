import { describe, expect, it } from 'vitest';
import { checkVersion } from './diagnose.js';

describe('checkVersion', () => {
  const engines = '^20.19.0 || ^24.0.0';

  it('tells supported versions from others by the engines range', () => {
    expect(checkVersion('v20.20.2', engines)).toEqual({ required: engines, supported: true });
    expect(checkVersion('v24.21.0', engines)).toEqual({ required: engines, supported: true });
    expect(checkVersion('v20.18.3', engines)).toEqual({ required: engines, supported: false });
    expect(checkVersion('v22.12.0', engines)).toEqual({ required: engines, supported: false });
    expect(checkVersion('v26.0.0', engines)).toEqual({ required: engines, supported: false });
  });

  it('answers unknown where the version, the range or its syntax is missing', () => {
    expect(checkVersion(null, engines)).toEqual({ required: engines, supported: null });
    expect(checkVersion('11.19.1', null)).toEqual({ required: null, supported: null });
    expect(checkVersion('11.19.1', '>= eleven')).toEqual({ required: '>= eleven', supported: null });
  });
});
