import type { FileBrowser } from '@jupyterlab/filebrowser';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import {
  guardFileBrowser,
  READ_ONLY_FOLDER_CLASS
} from '../access/filebrowser';
import {
  commandNeed,
  commandRefusal,
  factsFrom,
  ruledCommands
} from '../access/rules';
import {
  fileBrowserAsExpected,
  folderNameUnder,
  gateCommands,
  reportMissingCommands
} from '../upstream';

const trans = nullTranslator.load('capella_share');

/** A view link's facts, as GET session gives them. */
const VIEW = factsFrom(
  'view',
  {
    write: false,
    run: false,
    terminals: false,
    settings: false,
    shutdown: false,
    manage: false
  },
  []
);

/** The access plugin's judge, for a view link. */
function refusal(id: string, _args: ReadonlyPartialJSONObject): string | null {
  const need = commandNeed(id);
  return need === null
    ? null
    : commandRefusal(VIEW, need, { folder: '', paths: [] }, trans);
}

/** What a refused command says (the plugin shows it as a notification). */
const told: string[] = [];
const tell = (why: string) => told.push(why);

/** A registry with one command the rules restrict and one they do not. */
function registry(ran: string[]): CommandRegistry {
  const commands = new CommandRegistry();
  for (const id of ['filebrowser:create-new-file', 'filebrowser:copy']) {
    commands.addCommand(id, {
      label: id,
      execute: () => {
        ran.push(id);
      }
    });
  }
  return commands;
}

describe('the command registry', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  it('names the commands the rules name that the Lab lacks, once, with its version', () => {
    const commands = registry([]);
    const missing = reportMissingCommands(
      commands,
      ['filebrowser:create-new-file', 'filebrowser:gone', 'filebrowser:gone'],
      '4.6.6'
    );
    expect(missing).toEqual(['filebrowser:gone']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain('filebrowser:gone');
    expect(warn.mock.calls[0][0]).toContain('JupyterLab 4.6.6');
    expect(warn.mock.calls[0][0]).not.toContain('create-new-file');
  });

  it('says nothing when every command is there', () => {
    const commands = registry([]);
    expect(
      reportMissingCommands(commands, ['filebrowser:copy'], '4.6.6')
    ).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it("hides and refuses a guest's restricted commands, and leaves the rest as before", async () => {
    const ran: string[] = [];
    const commands = registry(ran);
    expect(gateCommands(commands, refusal, tell)).toBe(true);

    // restricted: hidden, disabled, and refused without running
    expect(commands.isVisible('filebrowser:create-new-file')).toBe(false);
    expect(commands.isEnabled('filebrowser:create-new-file')).toBe(false);
    await expect(
      commands.execute('filebrowser:create-new-file')
    ).rejects.toThrow('This is a view-only link: you cannot create files.');
    expect(told).toEqual([
      'This is a view-only link: you cannot create files.'
    ]);

    // not restricted: as before
    expect(commands.isVisible('filebrowser:copy')).toBe(true);
    expect(commands.isEnabled('filebrowser:copy')).toBe(true);
    await commands.execute('filebrowser:copy');
    expect(ran).toEqual(['filebrowser:copy']);

    // a command the rules restrict that the Lab lacks is simply absent
    expect(commands.isVisible('filebrowser:gone')).toBe(false);
    await expect(commands.execute('notebook:run-cell')).rejects.toThrow();
  });

  it('asks for fresh facts before judging a save', async () => {
    const commands = registry([]);
    const asked: string[] = [];
    gateCommands(
      commands,
      () => null,
      tell,
      id => {
        asked.push(id);
        return Promise.resolve();
      }
    );
    await commands.execute('filebrowser:copy');
    expect(asked).toEqual(['filebrowser:copy']);
  });

  it('says when the judge cannot be put in front of the registry', () => {
    const commands = registry([]);
    Object.freeze(commands);
    expect(gateCommands(commands, refusal, tell)).toBe(false);
  });

  it('expects Notebook 7’s own commands in Notebook 7 only', () => {
    expect(ruledCommands('JupyterLab')).not.toContain('application:rename');
    expect(ruledCommands('JupyterLab')).toContain('docmanager:save');
    expect(ruledCommands('Jupyter Notebook')).toContain('application:rename');
  });
});

/** A listing as JupyterLab 4.4–4.6 draws it. */
function listing(items: { name: string; dir: boolean }[]): HTMLElement {
  const content = document.createElement('ul');
  content.className = 'jp-DirListing-content';
  for (const { name, dir } of items) {
    const item = document.createElement('li');
    item.className = 'jp-DirListing-item';
    item.setAttribute('data-isdir', dir ? 'true' : 'false');
    const text = document.createElement('span');
    text.className = 'jp-DirListing-itemText';
    text.textContent = name;
    item.appendChild(text);
    content.appendChild(item);
  }
  return content;
}

/** Enough of a FileBrowser for the guard: a node, a toolbar and a model. */
function fakeBrowser(content: HTMLElement, uploader = true) {
  const node = document.createElement('div');
  // what Toolbar.addItem does in @jupyterlab/ui-components 4.4–4.6
  const name = uploader ? 'uploader' : 'renamed-uploader';
  const toolbar = new Widget();
  const upload = new Widget();
  upload.addClass('jp-id-upload');
  upload.node.dataset['jpItemName'] = name;
  toolbar.node.appendChild(upload.node);
  Object.assign(toolbar, { names: () => [name][Symbol.iterator]() });
  node.appendChild(toolbar.node);
  node.appendChild(content);
  const browser = {
    node,
    toolbar,
    isDisposed: false,
    disposed: new Signal<unknown, void>({}),
    model: {
      pathChanged: new Signal<unknown, void>({}),
      refreshed: new Signal<unknown, void>({})
    }
  };
  return browser as unknown as FileBrowser;
}

describe("the file browser's DOM", () => {
  it('tells the folder under a drag', () => {
    const content = listing([
      { name: 'data', dir: true },
      { name: 'a.txt', dir: false }
    ]);
    const [folder, file] = Array.from(content.children);
    expect(folderNameUnder(folder.firstChild)).toBe('data');
    expect(folderNameUnder(file)).toBe('');
    expect(folderNameUnder(content)).toBe('');
    expect(folderNameUnder(null)).toBe('');
  });

  it('cannot tell the folder under a drag on an item it does not know', () => {
    const content = listing([]);
    const item = document.createElement('li');
    item.className = 'jp-DirListing-row';
    content.appendChild(item);
    expect(folderNameUnder(item)).toBeNull();
  });

  it('is as expected as JupyterLab 4.4–4.6 draw it', () => {
    expect(
      fileBrowserAsExpected(fakeBrowser(listing([{ name: 'd', dir: true }])))
    ).toBe(true);
  });

  it('is as expected while an item is renamed (its text is an input then)', () => {
    const content = listing([{ name: 'd', dir: true }]);
    const text = content.querySelector('.jp-DirListing-itemText')!;
    text.replaceWith(document.createElement('input'));
    expect(fileBrowserAsExpected(fakeBrowser(content))).toBe(true);
  });

  it('is not when an item or the upload button is not where it was', () => {
    const content = listing([{ name: 'd', dir: true }]);
    content.firstElementChild!.removeAttribute('data-isdir');
    expect(fileBrowserAsExpected(fakeBrowser(content))).toBe(false);
    expect(fileBrowserAsExpected(fakeBrowser(listing([]), false))).toBe(false);
  });

  it("fails closed: a read-only folder's toolbar is hidden when its upload button cannot be found", () => {
    const guard = {
      mayWrite: () => false,
      mayWriteBelow: () => false,
      folderOf: () => '',
      unexpected: jest.fn()
    };
    const changed = new Signal<unknown, void>({});

    const expected = fakeBrowser(listing([]));
    guardFileBrowser(expected, guard, changed);
    expect(expected.node.classList.contains(READ_ONLY_FOLDER_CLASS)).toBe(true);
    expect(expected.toolbar.isHidden).toBe(false);
    expect(guard.unexpected).not.toHaveBeenCalled();

    const renamed = fakeBrowser(listing([]), false);
    guardFileBrowser(renamed, guard, changed);
    expect(renamed.toolbar.isHidden).toBe(true);
    expect(guard.unexpected).toHaveBeenCalledTimes(1);

    // where the folder may be written again, the toolbar is back
    guard.mayWrite = () => true;
    changed.emit();
    expect(renamed.toolbar.isHidden).toBe(false);
    expect(guard.unexpected).toHaveBeenCalledTimes(1);
  });
});
