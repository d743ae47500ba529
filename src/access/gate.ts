import { Notification } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { JSONExt, ReadonlyPartialJSONObject } from '@lumino/coreutils';

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
 * through the registry too). A refused `execute` says why and does nothing;
 * `freshFacts` names the commands to judge on facts asked for again first (a
 * save, as a share may have turned read-only since the last poll: the server
 * would refuse it with a generic "Saving failed").
 * This is the one place where the Lab's commands are touched.
 */
export function gateCommands(
  commands: CommandRegistry,
  refusal: CommandRefusal,
  freshFacts: (command: string) => Promise<void> | null = () => null
): void {
  const isVisible = commands.isVisible.bind(commands);
  const isEnabled = commands.isEnabled.bind(commands);
  const execute = commands.execute.bind(commands);
  commands.isVisible = (id, args = JSONExt.emptyObject) =>
    refusal(id, args) === null && isVisible(id, args);
  commands.isEnabled = (id, args = JSONExt.emptyObject) =>
    refusal(id, args) === null && isEnabled(id, args);
  commands.execute = async (id, args = JSONExt.emptyObject) => {
    // what writes is judged on what the server says now, not at its last poll
    await freshFacts(id)?.catch(() => undefined);
    const why = refusal(id, args);
    if (why !== null) {
      Notification.warning(why, { autoClose: 5000 });
      throw new Error(why);
    }
    return execute(id, args);
  };
}
