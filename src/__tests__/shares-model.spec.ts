import { nullTranslator } from '@jupyterlab/translation';

import {
  byProject,
  goneShares,
  isInShare,
  mayChange,
  mayDelete,
  registryOf,
  restartNote
} from '../shares/model';
import { IProjectShare, IShareList } from '../tokens';

const trans = nullTranslator.load('capella_share');

function share(project: string, model: string): IProjectShare {
  return {
    project,
    model,
    project_name: project,
    model_name: model,
    path: `shares/${project}/${model}`,
    permission: 'read-write',
    files: 0,
    bytes: 0,
    modified: null,
    exists: true,
    filesystem_read_only: false,
    created: null
  };
}

function list(overrides: Partial<IShareList> = {}): IShareList {
  return {
    shares: [],
    managed: false,
    source: 'local',
    shares_root: 'shares',
    problem: null,
    ...overrides
  };
}

const REGISTRY = { kind: 'registry' as const, url: 'https://hub/registry/' };

describe('registryOf', () => {
  it('finds the project registry that keeps the shares', () => {
    const source = { ...REGISTRY, manager: false };
    expect(registryOf(list({ source }))).toEqual(source);
  });

  it('is null for shares kept anywhere else, or before the first answer', () => {
    expect(registryOf(list({ source: 'local' }))).toBeNull();
    expect(registryOf(list({ source: 'registry' }))).toBeNull();
    expect(registryOf(null)).toBeNull();
  });
});

describe('mayChange', () => {
  it('lets a session manager change local shares', () => {
    expect(mayChange(list(), true)).toBe(true);
    expect(mayChange(list(), false)).toBe(false);
  });

  it('changes nothing the platform decides, nor before the first answer', () => {
    expect(mayChange(list({ managed: true }), true)).toBe(false);
    expect(mayChange(null, true)).toBe(false);
  });

  it('leaves a registry’s shares to its managers', () => {
    const member = list({ source: { ...REGISTRY, manager: false } });
    const manager = list({ source: { ...REGISTRY, manager: true } });
    expect(mayChange(member, true)).toBe(false);
    expect(mayChange(manager, true)).toBe(true);
    expect(mayChange(manager, false)).toBe(false);
  });
});

describe('byProject', () => {
  it('groups shares by project, keeping the server’s order', () => {
    const shares = [share('a', 'x'), share('b', 'y'), share('a', 'z')];
    const groups = byProject(shares);
    expect([...groups.keys()]).toEqual(['a', 'b']);
    expect(groups.get('a')!.map(s => s.model)).toEqual(['x', 'z']);
  });
});

describe('restartNote', () => {
  it('is null when no restart is needed, whatever the note', () => {
    expect(restartNote({}, trans)).toBeNull();
    expect(
      restartNote({ restart_needed: false, note: 'Registry down' }, trans)
    ).toBeNull();
  });

  it('gives the platform’s note, or says why a restart is asked for', () => {
    const note =
      'Not mounted in this server yet: restart your server to get it.';
    expect(restartNote({ restart_needed: true, note }, trans)).toBe(note);
    expect(restartNote({ restart_needed: true, note: null }, trans)).toMatch(
      /^Restart the session/
    );
  });
});

describe('mayDelete', () => {
  const registry = {
    kind: 'registry' as const,
    manager: true,
    url: '/services/capella-share-registry/'
  };
  it('lets a session manager delete a local share', () => {
    expect(mayDelete(null, { role: undefined }, true)).toBe(true);
    expect(mayDelete(null, { role: undefined }, false)).toBe(false);
  });
  it('leaves a registry share to its project managers', () => {
    expect(mayDelete(registry, { role: 'manager' }, true)).toBe(true);
    expect(mayDelete(registry, { role: 'read-write' }, true)).toBe(false);
    expect(mayDelete(registry, { role: null }, true)).toBe(false);
    expect(mayDelete(registry, { role: 'manager' }, false)).toBe(false);
  });
});

describe('goneShares', () => {
  const of = (...shares: IProjectShare[]) => list({ shares });
  it('names the shares listed before and no longer', () => {
    const before = of(share('p', 'a'), share('p', 'b'), share('q', 'a'));
    const after = of(share('p', 'b'));
    expect(goneShares(before, after).map(s => s.path)).toEqual([
      'shares/p/a',
      'shares/q/a'
    ]);
  });
  it('names none at the first answer, or when nothing left', () => {
    expect(goneShares(null, of(share('p', 'a')))).toEqual([]);
    expect(goneShares(of(share('p', 'a')), of(share('p', 'a')))).toEqual([]);
  });
});

describe('isInShare', () => {
  const brewer = { path: 'shared/coffee-machine/brewer' } as IProjectShare;
  it('knows the share folder and what is below it', () => {
    expect(isInShare('shared/coffee-machine/brewer', brewer)).toBe(true);
    expect(isInShare('/shared/coffee-machine/brewer/brew.ipynb', brewer)).toBe(
      true
    );
    expect(isInShare('shared/coffee-machine/brewer-2/x.ipynb', brewer)).toBe(
      false
    );
    expect(isInShare('shared/coffee-machine', brewer)).toBe(false);
  });
});
