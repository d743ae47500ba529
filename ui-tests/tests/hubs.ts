import { Browser, expect, Page } from '@playwright/test';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

/**
 * A real JupyterHub started by one of the launchers in ui-tests/hub/, which prints
 * one JSON line (its URL, the users' password, and what else it set up) once
 * ready, and stops everything on SIGTERM.
 */
export class Hub {
  private constructor(
    private readonly process: ChildProcessWithoutNullStreams,
    readonly ready: Record<string, string>
  ) {}

  get url(): string {
    return this.ready.url;
  }

  static async start(launcher: string): Promise<Hub> {
    const python = process.env.CAPELLA_PYTHON || 'python';
    const child = spawn(python, [path.join(__dirname, '..', 'hub', launcher)]);
    child.stderr.on('data', () => undefined);
    const lines = readline.createInterface({ input: child.stdout });
    const line = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', code => reject(new Error(`the hub exited (${code})`)));
    });
    return new Hub(child, JSON.parse(line));
  }

  async stop(): Promise<void> {
    const exited = new Promise(resolve => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }

  /** A browser of its own for ``user``, logged in with the hub's form. */
  async logIn(
    browser: Browser,
    user: string,
    viewport?: { width: number; height: number }
  ): Promise<Page> {
    // no token header: a hub user logs in as a person does
    const context = await browser.newContext({
      extraHTTPHeaders: {},
      ...(viewport ? { viewport } : {})
    });
    const page = await context.newPage();
    await page.goto(`${this.url}/hub/login`);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(this.ready.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return page;
  }

  /** Open ``owner``'s Lab in ``page``, consenting once if the hub asks. */
  async openLab(page: Page, owner: string): Promise<void> {
    await page.goto(`${this.url}/user/${owner}/lab`);
    // the hub asks once before letting a user into another's server
    const authorize = page.getByRole('button', { name: 'Authorize' });
    if (await authorize.isVisible({ timeout: 5000 }).catch(() => false)) {
      await authorize.click();
    }
    await expect(page.locator('#jp-top-bar')).toBeVisible({ timeout: 60000 });
  }
}
