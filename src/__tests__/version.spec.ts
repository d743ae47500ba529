import { FRONTEND_VERSION } from '../tokens';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json');

describe('FRONTEND_VERSION', () => {
  it('is the version in package.json', () => {
    expect(FRONTEND_VERSION).toBe(pkg.version);
  });
});
