import {
  expiryChoices,
  formatRemaining,
  permissionLabel,
  sameRelease,
  sharedPlace,
  scopeChoices,
  scopeLabel,
  warningFor
} from '../format';

describe('formatRemaining', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();

  it('says never for links without expiry', () => {
    expect(formatRemaining(null, now)).toBe('never');
  });

  it('says expired once the time has passed', () => {
    expect(formatRemaining(at(0), now)).toBe('expired');
    expect(formatRemaining(at(-30), now)).toBe('expired');
  });

  it('counts down in the largest sensible units', () => {
    expect(formatRemaining(at(42), now)).toBe('in 42 s');
    expect(formatRemaining(at(5 * 60 + 59), now)).toBe('in 5 min');
    expect(formatRemaining(at(3600), now)).toBe('in 1 h');
    expect(formatRemaining(at(2 * 3600 + 10 * 60), now)).toBe('in 2 h 10 min');
    expect(formatRemaining(at(3 * 86400), now)).toBe('in 3 d');
    expect(formatRemaining(at(86400 + 5 * 3600), now)).toBe('in 1 d 5 h');
  });

  it('does not pretend to know a malformed date', () => {
    expect(formatRemaining('not a date', now)).toBe('unknown');
  });
});

describe('warningFor', () => {
  it('words the warning for each permission', () => {
    expect(warningFor('view')).toMatch(/read and download every file/);
    expect(warningFor('view')).not.toMatch(/run code/);
    expect(warningFor('edit')).toMatch(/run code/);
    expect(warningFor('full')).toMatch(/terminals/);
    for (const permission of ['view', 'edit', 'full'] as const) {
      expect(warningFor(permission)).toMatch(/Ending the session revokes/);
    }
  });

  it('says where the code of edit and full guests runs', () => {
    for (const permission of ['edit', 'full'] as const) {
      expect(warningFor(permission, undefined, 'sandbox')).toMatch(/sandbox/);
      expect(warningFor(permission, undefined, 'unconfined')).toMatch(
        /runs as you and can read your token/
      );
    }
    expect(warningFor('view', undefined, 'unconfined')).not.toMatch(/token/);
  });

  it('names what a scoped link shares, and only that', () => {
    expect(warningFor('view', undefined, 'sandbox', 'project')).toMatch(
      /the files of project \(and nothing else of this session\)/
    );
    expect(warningFor('edit', undefined, 'sandbox', 'project')).toMatch(
      /sees project only/
    );
    expect(warningFor('full', undefined, 'sandbox', 'project')).not.toMatch(
      /everything you can/
    );
  });

  it('tells that a URL without token carries no access', () => {
    expect(warningFor(null)).toMatch(/no access of its own/);
  });
});

describe('permissionLabel', () => {
  it('names each permission', () => {
    expect(permissionLabel('view')).toBe('View only');
    expect(permissionLabel('edit')).toBe('Can edit');
    expect(permissionLabel('full')).toBe('Full access');
    expect(permissionLabel('owner')).toBe('Owner');
  });
});

describe('expiryChoices', () => {
  it('offers increasing lifetimes and ends with no expiry', () => {
    const seconds = expiryChoices().map(c => c.seconds);
    expect(seconds[seconds.length - 1]).toBeNull();
    const finite = seconds.slice(0, -1) as number[];
    expect([...finite].sort((a, b) => a - b)).toEqual(finite);
  });
});

describe('sameRelease', () => {
  it('compares versions exactly', () => {
    expect(sameRelease('0.1.0', '0.1.0')).toBe(true);
    expect(sameRelease('0.1.0', '0.2.0')).toBe(false);
  });
});

describe('sharedPlace', () => {
  it('is the Lab on any Lab page', () => {
    const lab = { page: 'lab', path: '' };
    expect(sharedPlace('/lab', '/')).toEqual(lab);
    expect(sharedPlace('/user/ada/lab/tree/x.ipynb', '/user/ada/')).toEqual(
      lab
    );
    expect(sharedPlace('/other/tree', '/user/ada/')).toEqual(lab);
  });

  it('is the Notebook 7 page and the file it shows', () => {
    expect(sharedPlace('/tree', '/')).toEqual({ page: 'tree', path: '' });
    expect(sharedPlace('/user/ada/tree/a%20b/', '/user/ada')).toEqual({
      page: 'tree',
      path: 'a b'
    });
    expect(sharedPlace('/notebooks/r/n%C3%A9.ipynb', '/')).toEqual({
      page: 'notebooks',
      path: 'r/né.ipynb'
    });
    expect(sharedPlace('/edit/model.py', '/')).toEqual({
      page: 'edit',
      path: 'model.py'
    });
    // a notebook page without a notebook: the Lab's URL, never a broken one
    expect(sharedPlace('/notebooks/', '/')).toEqual({ page: 'lab', path: '' });
  });
});

describe('scopeChoices', () => {
  it('offers the whole session, then what was asked, the document and the folder', () => {
    const { scopes, chosen } = scopeChoices({
      asked: { kind: 'folder', path: 'data' },
      document: 'project/a.ipynb',
      folder: 'project'
    });
    expect(scopes.map(s => s.path)).toEqual([
      '',
      'data',
      'project/a.ipynb',
      'project'
    ]);
    expect(chosen).toBe('data');
    expect(scopeLabel(scopes[2])).toBe('This notebook: project/a.ipynb');
    expect(scopeLabel(scopes[3])).toBe('This folder: project/');
  });

  it('chooses the whole session unless a scope was asked for', () => {
    const { scopes, chosen } = scopeChoices({ folder: '' });
    expect(scopes).toEqual([{ kind: 'session', path: '' }]);
    expect(chosen).toBe('');
  });
});
