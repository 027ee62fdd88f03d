import { ConfigError, loadConfig } from './config';

describe('GATEHOUSE_TRUST_PROXY', () => {
  const trustProxy = (value?: string) =>
    loadConfig(value === undefined ? {} : { GATEHOUSE_TRUST_PROXY: value }, '/srv').http.trustProxy;

  it.each<[string | undefined, boolean | number | string[]]>([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
    ['TRUE', true],
    ['1', 1],
    ['0', 0],
    ['loopback', ['loopback']],
    ['loopback, 10.0.0.0/8 ,fd00::/8', ['loopback', '10.0.0.0/8', 'fd00::/8']],
    ['192.168.1.10,uniquelocal,linklocal', ['192.168.1.10', 'uniquelocal', 'linklocal']],
  ])('%j → %j', (value, expected) => {
    expect(trustProxy(value)).toEqual(expected);
  });

  it.each(['yes please', '11', '10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/8', ','])(
    'refuses %j',
    (value) => {
      const problems = (() => {
        try {
          trustProxy(value);
          return [];
        } catch (error) {
          return error instanceof ConfigError ? error.problems : [error];
        }
      })();
      expect(problems).toEqual([
        {
          variable: 'GATEHOUSE_TRUST_PROXY',
          message: expect.stringContaining('must be true, false, a number'),
        },
      ]);
    },
  );
});
