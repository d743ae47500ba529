/**
 * The one door to JupyterLab's internals.
 *
 * Everything the frontend does to the Lab beyond its public plugin APIs is
 * here: putting a judge in front of the command registry, reading the file
 * browser's DOM and trimming the main menu by id. Each touchpoint says which
 * JupyterLab versions it was checked against, and each is checked when the
 * Lab starts: what is gone is reported, and a guest's Lab then fails closed
 * (it hides more, never less).
 *
 * This module imports none of the package's own modules.
 */
import type { FileBrowser } from '@jupyterlab/filebrowser';
import type { IMainMenu } from '@jupyterlab/mainmenu';
import { CommandRegistry } from '@lumino/commands';
import { JSONExt, ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { MessageLoop } from '@lumino/messaging';
import { Menu, MenuBar } from '@lumino/widgets';

/** The JupyterLab versions every touchpoint below was checked against. */
export const CHECKED_AGAINST = '4.4–4.6';

/** How the frontend's reports begin. */
const PREFIX = 'capella-share:';

// ---------------------------------------------------------------------------
// Commands

/**
 * Why a command may not run with these arguments here, or null when it may.
 */
export type CommandRefusal = (
  command: string,
  args: ReadonlyPartialJSONObject
) => string | null;

/**
 * Hide and disable, everywhere at once, the commands the user may not use.
 *
 * JupyterLab has no public way to restrict a command someone else registered,
 * and its menus, context menu, palette, launcher, toolbars and key bindings all
 * ask the registry. So this puts `refusal` in front of the registry's own
 * `isVisible`, `isEnabled` and `execute` (the key bindings call `isEnabled`
 * through the registry too). A refused `execute` says why (`tell`) and does
 * nothing, rejecting with the reason;
 * `freshFacts` names the commands to judge on facts asked for again first (a
 * save, as a share may have turned read-only since the last poll: the server
 * would refuse it with a generic "Saving failed").
 *
 * Checked against @lumino/commands 2.x as used by JupyterLab 4.4–4.6: the
 * three are public methods of `CommandRegistry`, called through the instance.
 *
 * Returns whether the judge is in place; when it is not (the registry's
 * methods could not be replaced), nothing is judged and the caller must fail
 * closed some other way.
 */
export function gateCommands(
  commands: CommandRegistry,
  refusal: CommandRefusal,
  tell: (why: string) => void,
  freshFacts: (command: string) => Promise<void> | null = () => null
): boolean {
  if (
    typeof commands.isVisible !== 'function' ||
    typeof commands.isEnabled !== 'function' ||
    typeof commands.execute !== 'function'
  ) {
    return false;
  }
  const isVisible = commands.isVisible.bind(commands);
  const isEnabled = commands.isEnabled.bind(commands);
  const execute = commands.execute.bind(commands);
  const gated: Pick<CommandRegistry, 'isVisible' | 'isEnabled' | 'execute'> = {
    isVisible: (id, args = JSONExt.emptyObject) =>
      refusal(id, args) === null && isVisible(id, args),
    isEnabled: (id, args = JSONExt.emptyObject) =>
      refusal(id, args) === null && isEnabled(id, args),
    execute: async (id, args = JSONExt.emptyObject) => {
      // what writes is judged on what the server says now, not at its last poll
      await freshFacts(id)?.catch(() => undefined);
      const why = refusal(id, args);
      if (why !== null) {
        tell(why);
        throw new Error(why);
      }
      return execute(id, args);
    }
  };
  try {
    commands.isVisible = gated.isVisible;
    commands.isEnabled = gated.isEnabled;
    commands.execute = gated.execute;
  } catch {
    // a frozen registry, say
  }
  return (
    commands.isVisible === gated.isVisible &&
    commands.isEnabled === gated.isEnabled &&
    commands.execute === gated.execute
  );
}

/**
 * The ids among `ids` that `commands` does not have.
 */
export function missingCommands(
  commands: CommandRegistry,
  ids: Iterable<string>
): string[] {
  return [...new Set(ids)].filter(id => !commands.hasCommand(id)).sort();
}

/**
 * Say once, naming them and the Lab's version, which of the commands the
 * access rules name the Lab does not have. A command the rules restrict that
 * is missing cannot be offered anyway; the report is there so that a command
 * the Lab renamed (and that now goes unjudged) is noticed. Call it after the
 * app has restored, when every plugin has added its commands.
 * Returns the missing ids.
 */
export function reportMissingCommands(
  commands: CommandRegistry,
  ids: Iterable<string>,
  labVersion: string
): string[] {
  const missing = missingCommands(commands, ids);
  if (missing.length > 0) {
    console.warn(
      `${PREFIX} JupyterLab ${labVersion} has no command ${missing.join(', ')}; ` +
        `the access rules name them (checked against JupyterLab ${CHECKED_AGAINST}).`
    );
  }
  return missing;
}

// ---------------------------------------------------------------------------
// The file browser's DOM

/**
 * The class names and attributes of the Lab's file browser that are read
 * here. Checked against @jupyterlab/filebrowser 4.4–4.6 (`listing.ts`'s
 * CONTENT_CLASS, ITEM_CLASS, ITEM_TEXT_CLASS and `data-isdir`) and
 * @jupyterlab/ui-components' `Toolbar.insertItem` (`data-jp-item-name`), and
 * `upload.ts`'s `jp-id-upload`.
 */
export const FILE_BROWSER_DOM = {
  content: 'jp-DirListing-content',
  item: 'jp-DirListing-item',
  itemText: 'jp-DirListing-itemText',
  isDir: 'data-isdir',
  toolbarItemName: 'data-jp-item-name',
  uploadButton: 'jp-id-upload',
  /** The toolbar items that write in the folder shown (the stylesheet hides them where nothing may be written). */
  writeActions: ['uploader', 'new-directory']
} as const;

/**
 * The name of the folder listed under a drag: '' for the browser's own folder
 * (or a file), null when the listing is not as expected and the folder under
 * the drag cannot be told.
 */
export function folderNameUnder(target: EventTarget | null): string | null {
  const dom = FILE_BROWSER_DOM;
  if (!(target instanceof Element)) {
    return '';
  }
  const item = target.closest(`.${dom.item}`);
  if (item === null) {
    // inside the listing but on no item: an item we do not recognise
    const content = target.closest(`.${dom.content}`);
    return content !== null && content !== target ? null : '';
  }
  switch (item.getAttribute(dom.isDir)) {
    case 'false':
      return '';
    case 'true':
      return item.querySelector(`.${dom.itemText}`)?.textContent ?? null;
    default:
      return null;
  }
}

/**
 * Whether the file browser's DOM is what `FILE_BROWSER_DOM` says, as far as
 * it is drawn yet: its listing items carry their class, `data-isdir` and text
 * (or the input that replaces the text while an item is renamed: `listing.ts`'s
 * `userInputForRename`), and its toolbar's write actions carry their names.
 */
export function fileBrowserAsExpected(browser: FileBrowser): boolean {
  const dom = FILE_BROWSER_DOM;
  const node = browser.node;
  const content = node.querySelector(`.${dom.content}`);
  if (content !== null) {
    for (const child of Array.from(content.children)) {
      if (
        !child.classList.contains(dom.item) ||
        !child.hasAttribute(dom.isDir) ||
        // an item being renamed shows an input in place of its text
        child.querySelector(
          `.${dom.itemText}, input[type="text"], input:not([type])`
        ) === null
      ) {
        return false;
      }
    }
  }
  const toolbar = browser.toolbar;
  const names = new Set(toolbar.names());
  for (const name of dom.writeActions) {
    if (
      names.has(name) &&
      toolbar.node.querySelector(`[${dom.toolbarItemName}="${name}"]`) === null
    ) {
      return false;
    }
  }
  // the upload button must be where the stylesheet finds it
  for (const upload of Array.from(
    toolbar.node.querySelectorAll(`.${dom.uploadButton}`)
  )) {
    const named = upload.closest(`[${dom.toolbarItemName}]`);
    if (
      named === null ||
      !(dom.writeActions as readonly string[]).includes(
        named.getAttribute(dom.toolbarItemName) ?? ''
      )
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Hide (or show again) a file browser's toolbar as a whole: where its write
 * actions cannot be found, a folder that may not be written in shows no
 * toolbar at all rather than one with an upload button.
 */
export function hideFileBrowserToolbar(
  browser: FileBrowser,
  hidden: boolean
): void {
  browser.toolbar.setHidden(hidden);
}

// ---------------------------------------------------------------------------
// The main menu

/**
 * The ids by which the main menu is trimmed. Checked against
 * @jupyterlab/mainmenu 4.4–4.6: `FileMenu.newMenu` finds its submenu by the id
 * `jp-mainmenu-file-new`; `launcher:create` is the launcher's command.
 */
export const MAIN_MENU_IDS = {
  fileNew: 'jp-mainmenu-file-new',
  newLauncher: 'launcher:create'
} as const;

/**
 * A view link neither makes files nor runs code: its menu bar offers no File ›
 * New, no New Launcher, no Run and no Kernel menu. File › New may be added
 * again as settings load, so the File menu is trimmed each time it is drawn.
 * Returns whether every part was found; when one is not, the Run and Kernel
 * menus are still removed, and the commands behind what is left stay refused
 * by the registry's judge.
 */
export function trimMenusForViewing(mainMenu: IMainMenu): boolean {
  let found = true;
  const file = mainMenu.fileMenu;
  if (file instanceof Menu) {
    const trim = () => {
      for (const item of [...file.items]) {
        if (
          item.submenu?.id === MAIN_MENU_IDS.fileNew ||
          item.command === MAIN_MENU_IDS.newLauncher
        ) {
          file.removeItem(item);
        }
      }
    };
    trim();
    MessageLoop.installMessageHook(file, (_, message) => {
      if (message.type === 'update-request') {
        trim();
      }
      return true;
    });
  } else {
    found = false;
  }
  if (mainMenu instanceof MenuBar) {
    for (const menu of [mainMenu.runMenu, mainMenu.kernelMenu]) {
      if (menu instanceof Menu) {
        mainMenu.removeMenu(menu);
      } else {
        found = false;
      }
    }
  } else {
    found = false;
  }
  return found;
}

/**
 * Report, once, a touchpoint that is not as expected.
 */
export function reportUpstream(what: string, labVersion: string): void {
  if (!reported.has(what)) {
    reported.add(what);
    console.warn(
      `${PREFIX} in JupyterLab ${labVersion}, ${what} (checked against JupyterLab ${CHECKED_AGAINST}); offering less.`
    );
  }
}

const reported = new Set<string>();
