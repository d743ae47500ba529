import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { guestPlugin } from './guest/plugin';
import { sessionPlugin } from './session';
import { sharePlugin } from './share/plugin';
import { sharesPlugin } from './shares/plugin';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  sessionPlugin,
  sharePlugin,
  guestPlugin,
  sharesPlugin
];

export default plugins;
