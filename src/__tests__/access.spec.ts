import { nullTranslator } from '@jupyterlab/translation';

import {
  commandNeed,
  commandRefusal,
  factsFrom,
  isRestricted,
  isWithin,
  mayRemove,
  mayRunCode,
  mayWrite
} from '../access/rules';
import { actionOf, explainRefusal } from '../access/refusals';
import { IAccessFacts, IMay, Permission } from '../tokens';

const trans = nullTranslator.load('capella_share');

const SHARES = [
  { path: 'apollo/reference', permission: 'read-only' as const },
  { path: '/apollo/scratch/', permission: 'read-write' as const }
];

/** What GET session's `you.may` says for each level (the server's policy). */
const MAY: Record<Permission | 'owner', IMay> = {
  view: {
    write: false,
    run: false,
    terminals: false,
    settings: false,
    shutdown: false,
    manage: false
  },
  edit: {
    write: true,
    run: true,
    terminals: false,
    settings: false,
    shutdown: false,
    manage: false
  },
  full: {
    write: true,
    run: true,
    terminals: true,
    settings: false,
    shutdown: false,
    manage: false
  },
  owner: {
    write: true,
    run: true,
    terminals: true,
    settings: true,
    shutdown: true,
    manage: true
  }
};

function factsOf(
  level: Permission | 'owner',
  shares: typeof SHARES | [] = []
): IAccessFacts {
  return factsFrom(level, MAY[level], shares);
}

const owner = factsOf('owner', SHARES);
const view = factsOf('view', SHARES);
const edit = factsOf('edit', SHARES);
const nothing = { folder: '', paths: [] };

describe('facts from the server', () => {
  it('keeps the folders of read-only shares only, without slashes', () => {
    expect(owner.readOnlyFolders).toEqual(['apollo/reference']);
  });

  it('restricts guests, and owners only where a share is read-only', () => {
    expect(isRestricted(factsOf('owner'))).toBe(false);
    expect(isRestricted(owner)).toBe(true);
    expect(isRestricted(factsOf('full'))).toBe(true);
  });
});

describe('paths', () => {
  it('knows a folder from its prefix', () => {
    expect(isWithin('apollo/reference/a.ipynb', 'apollo/reference')).toBe(true);
    expect(isWithin('/apollo/reference', 'apollo/reference/')).toBe(true);
    expect(isWithin('apollo/reference-2/a.ipynb', 'apollo/reference')).toBe(
      false
    );
    expect(isWithin('anything', '')).toBe(true);
  });
});

describe('what may be written', () => {
  it('is nothing for a view link', () => {
    expect(mayWrite(view, '')).toBe(false);
    expect(mayWrite(view, 'apollo/scratch/x.py')).toBe(false);
    expect(mayRunCode(view)).toBe(false);
  });

  it('is everything but read-only shares for editors and the owner', () => {
    for (const facts of [owner, edit]) {
      expect(mayWrite(facts, 'apollo/scratch/x.py')).toBe(true);
      expect(mayWrite(facts, 'apollo')).toBe(true);
      expect(mayWrite(facts, 'apollo/reference')).toBe(false);
      expect(mayWrite(facts, 'apollo/reference/deep/x.py')).toBe(false);
      expect(mayRunCode(facts)).toBe(true);
    }
  });

  it('keeps folders that hold a read-only share from being moved away', () => {
    expect(mayRemove(owner, 'apollo')).toBe(false);
    expect(mayRemove(owner, '')).toBe(false);
    expect(mayRemove(owner, 'apollo/scratch')).toBe(true);
  });
});

describe('commands', () => {
  it('knows what Lab and Notebook 7 commands do', () => {
    expect(commandNeed('notebook:create-new')).toEqual({ does: 'create' });
    expect(commandNeed('filebrowser:delete')).toEqual({
      does: 'change',
      of: 'selection',
      action: 'delete'
    });
    expect(commandNeed('application:rename')).toEqual({
      does: 'change',
      of: 'document',
      action: 'rename'
    });
    expect(commandNeed('runmenu:run-all')).toEqual({ does: 'run' });
    expect(commandNeed('notebook:run-cell-and-select-next')).toEqual({
      does: 'run'
    });
    expect(commandNeed('filebrowser:copy')).toBeNull();
    expect(commandNeed('docmanager:open')).toBeNull();
  });

  it('refuses a view link anything that creates, changes or runs', () => {
    expect(
      commandRefusal(
        view,
        { does: 'create' },
        { folder: 'apollo', paths: [] },
        trans
      )
    ).toBe('This is a view-only link: you cannot create files.');
    expect(commandRefusal(view, { does: 'run' }, nothing, trans)).toBe(
      'This is a view-only link: you cannot run code.'
    );
    expect(
      commandRefusal(view, { does: 'write-somewhere' }, nothing, trans)
    ).toBe('This is a view-only link: you cannot save files.');
  });

  it('refuses creating and changing inside a read-only share, saying which', () => {
    const inShare = { folder: 'apollo/reference', paths: [] };
    expect(commandRefusal(edit, { does: 'create' }, inShare, trans)).toBe(
      '"apollo/reference" is a read-only project share: you cannot create files there. Save a copy elsewhere, or ask the share’s owner to make it read-write.'
    );
    expect(
      commandRefusal(owner, { does: 'create' }, inShare, trans)
    ).not.toBeNull();
    expect(
      commandRefusal(
        owner,
        { does: 'create' },
        { folder: 'apollo', paths: [] },
        trans
      )
    ).toBeNull();
    // Saving a copy elsewhere stays possible.
    expect(
      commandRefusal(owner, { does: 'write-somewhere' }, inShare, trans)
    ).toBe(null);
  });

  it('refuses renaming a folder that holds a read-only share', () => {
    const need = commandNeed('filebrowser:rename')!;
    expect(
      commandRefusal(owner, need, { folder: '', paths: ['apollo'] }, trans)
    ).toBe(
      '"apollo" holds the read-only project share "apollo/reference": it cannot be renamed, moved or deleted.'
    );
    expect(
      commandRefusal(
        owner,
        need,
        {
          folder: 'apollo',
          paths: ['apollo/scratch']
        },
        trans
      )
    ).toBeNull();
  });

  it('leaves the session to its owner', () => {
    const need = commandNeed('filemenu:shutdown')!;
    expect(commandRefusal(owner, need, nothing, trans)).toBeNull();
    expect(commandRefusal(factsOf('full'), need, nothing, trans)).toBe(
      'This is a full-access link: you cannot shut the session down.'
    );
  });
});

describe('refusals from the server', () => {
  const facts: IAccessFacts = view;

  it('names what the refused request did', () => {
    expect(actionOf({ method: 'POST', path: 'api/contents/a' })).toBe('create');
    expect(actionOf({ method: 'PUT', path: 'api/contents/a.txt?123' })).toBe(
      'save'
    );
    expect(actionOf({ method: 'PATCH', path: '/api/contents/a.txt' })).toBe(
      'rename'
    );
    expect(actionOf({ method: 'DELETE', path: 'api/contents/a.txt' })).toBe(
      'delete'
    );
    expect(
      actionOf({ method: 'POST', path: 'api/contents/a.txt/checkpoints' })
    ).toBe('save');
    expect(actionOf({ method: 'POST', path: 'api/sessions' })).toBe('run');
    expect(actionOf({ method: 'POST', path: 'api/terminals' })).toBe(
      'terminals'
    );
    expect(actionOf({ method: 'PUT', path: 'lab/api/settings/x' })).toBe(
      'settings'
    );
  });

  it("rewords capella-share's policy for what was done", () => {
    expect(
      explainRefusal(
        { method: 'POST', path: 'api/contents/reports' },
        'This is a view-only link: it may not change files.',
        facts,
        trans
      )
    ).toBe('This is a view-only link: you cannot create files.');
    // The link's kind comes from the server's words, not from what is known here.
    expect(
      explainRefusal(
        { method: 'POST', path: 'api/terminals' },
        'This is an edit link: it may not run terminals.',
        factsOf('owner'),
        trans
      )
    ).toBe('This is an edit link: you cannot open terminals.');
  });

  it("rewords the server's stock refusal for guests only", () => {
    const stock = 'User is not authorized to execute on resource: kernels.';
    const request = { method: 'POST', path: 'api/kernels' };
    expect(explainRefusal(request, stock, facts, trans)).toBe(
      'This is a view-only link: you cannot run code.'
    );
    expect(explainRefusal(request, stock, owner, trans)).toBeNull();
  });

  it('names the read-only share a write landed in', () => {
    expect(
      explainRefusal(
        { method: 'PATCH', path: 'api/contents/apollo/scratch/a.ipynb' },
        "Cannot move 'apollo/reference/a.ipynb': it lies in a read-only project share. Ask the share's owner to make it read-write, or save a copy elsewhere.",
        owner,
        trans
      )
    ).toBe(
      '"apollo/reference" is a read-only project share: you cannot rename or move files there. Save a copy elsewhere, or ask the share’s owner to make it read-write.'
    );
    expect(
      explainRefusal(
        { method: 'DELETE', path: 'api/contents/apollo' },
        "Cannot delete 'apollo': it holds the read-only project share 'apollo/reference'.",
        owner,
        trans
      )
    ).toBe(
      '"apollo" holds the read-only project share "apollo/reference": it cannot be renamed, moved or deleted.'
    );
  });

  it('leaves other messages as the server wrote them', () => {
    expect(
      explainRefusal(
        { method: 'GET', path: 'api/contents/a' },
        'Permission denied: a',
        facts,
        trans
      )
    ).toBeNull();
  });
});
