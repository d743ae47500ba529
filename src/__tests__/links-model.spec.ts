import { nullTranslator } from '@jupyterlab/translation';

import { connectedNames } from '../format';
import {
  granteeName,
  inside,
  normalLabel,
  sameChoice,
  suggestionsFor
} from '../links/model';
import { IConnection } from '../tokens';

const trans = nullTranslator.load('capella_share');

const ADA: IConnection = {
  username: 'guest-1',
  display_name: 'Ada',
  since: '2026-01-01T00:00:00Z'
};

describe('sameChoice', () => {
  const choice = {
    permission: 'view' as const,
    expiresIn: 3600,
    label: '',
    scope: ''
  };

  it('copies the link already made when nothing changed', () => {
    expect(sameChoice(choice, { ...choice })).toBe(true);
    // the server keeps labels with their spaces made one
    expect(
      sameChoice(
        { ...choice, label: 'Review  team ' },
        { ...choice, label: 'Review team' }
      )
    ).toBe(true);
  });

  it('makes another link when a choice changed', () => {
    expect(sameChoice(choice, { ...choice, permission: 'edit' })).toBe(false);
    expect(sameChoice(choice, { ...choice, expiresIn: null })).toBe(false);
    expect(sameChoice(choice, { ...choice, label: 'Review team' })).toBe(false);
    expect(sameChoice(choice, { ...choice, scope: 'project' })).toBe(false);
  });
});

describe('inside', () => {
  it('tells whether a path lies in a scope', () => {
    expect(inside('project/a.ipynb', 'project')).toBe(true);
    expect(inside('project', 'project')).toBe(true);
    expect(inside('projects/a.ipynb', 'project')).toBe(false);
    expect(inside('anything', '')).toBe(true);
  });
});

describe('normalLabel', () => {
  it('trims a label and makes its runs of spaces one', () => {
    expect(normalLabel('  Review \t team ')).toBe('Review team');
    expect(normalLabel('   ')).toBe('');
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
