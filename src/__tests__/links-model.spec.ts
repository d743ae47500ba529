import { nullTranslator } from '@jupyterlab/translation';

import { connectedNames } from '../format';
import { granteeName, isUnused, suggestionsFor } from '../links/model';
import { IConnection, ILink } from '../tokens';

const trans = nullTranslator.load('capella_share');

const ADA: IConnection = {
  username: 'guest-1',
  display_name: 'Ada',
  since: '2026-01-01T00:00:00Z'
};

function link(overrides: Partial<ILink> = {}): ILink {
  return {
    id: 'a1b2c3',
    label: '',
    permission: 'view',
    path: '',
    created: '2026-01-01T00:00:00Z',
    expires_at: null,
    last_used: null,
    connections: [],
    ...overrides
  };
}

describe('isUnused', () => {
  it('lets a link nobody opened be withdrawn', () => {
    expect(isUnused(link())).toBe(true);
  });

  it('keeps a link someone used or is connected through', () => {
    expect(isUnused(link({ last_used: '2026-01-01T00:01:00Z' }))).toBe(false);
    expect(isUnused(link({ connections: [ADA] }))).toBe(false);
  });

  it('has nothing to withdraw once the link is no longer listed', () => {
    expect(isUnused(undefined)).toBe(false);
  });
});

describe('suggestionsFor', () => {
  const directory = { users: ['bob', 'bea'], groups: ['reviewers'] };

  it('suggests the names of the kind being shared with', () => {
    expect(suggestionsFor('user', directory)).toEqual(['bob', 'bea']);
    expect(suggestionsFor('group', directory)).toEqual(['reviewers']);
  });
});

describe('granteeName', () => {
  it('says when a grantee is a group', () => {
    expect(granteeName({ kind: 'group', name: 'reviewers' }, trans)).toBe(
      'Group reviewers'
    );
    expect(granteeName({ kind: 'user', name: 'bob' }, trans)).toBe('bob');
  });
});

describe('connectedNames', () => {
  it('names who is connected, or nobody', () => {
    expect(connectedNames([], trans)).toBe('nobody');
    expect(
      connectedNames([ADA, { ...ADA, display_name: 'Grace' }], trans)
    ).toBe('Ada, Grace');
  });
});
