import { LabIcon } from '@jupyterlab/ui-components';

const SHARES_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M10 4H4c-1.1 0-2 .9-2 2v12c0 1.1.9 2 2 2h16c1.1 0 2-.9 2-2V8c0-1.1-.9-2-2-2h-8l-2-2zm5 5a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm4 8h-8v-1c0-1.33 2.67-2 4-2s4 .67 4 2v1z"/>
</svg>`;

export const sharesIcon = new LabIcon({
  name: 'capella-share:shares',
  svgstr: SHARES_SVG
});
