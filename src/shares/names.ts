/**
 * The folder name the server makes of a project or model name, as python-slugify
 * does it for Latin scripts: accents dropped, lower case, runs of anything but
 * letters and digits turned into one hyphen. For other scripts the server
 * transliterates; the preview then says so instead of guessing.
 */
export const MAX_SLUG = 63;

export interface ISlugPreview {
  slug: string;
  /** why there is no usable folder name, or '' */
  problem: string;
  /** true when the server may spell it differently (non-Latin letters) */
  approximate: boolean;
}

export function slugPreview(name: string): ISlugPreview {
  const trimmed = name.trim();
  if (!trimmed) {
    return { slug: '', problem: 'empty', approximate: false };
  }
  if (/[/\\]/.test(safeDecode(trimmed))) {
    return { slug: '', problem: 'separator', approximate: false };
  }
  const latin = trimmed.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const approximate = /[^\u0020-\u007e]/.test(latin);
  const slug = latin
    .toLowerCase()
    .replace(/['\u2019]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!slug && !approximate) {
    return { slug, problem: 'no-letters', approximate };
  }
  if (slug.length > MAX_SLUG) {
    return { slug, problem: 'too-long', approximate };
  }
  return { slug, problem: '', approximate };
}

function safeDecode(value: string): string {
  let decoded = value;
  for (let i = 0; i < 4; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return decoded;
    }
    if (next === decoded) {
      break;
    }
    decoded = next;
  }
  return decoded;
}

/**
 * "12 files · 3.4 MB", or "counting…" while the server has not measured yet.
 */
export function formatCounts(
  files: number | null,
  bytes: number | null,
  trans: { __: (msg: string, ...args: any[]) => string; _n: any }
): string {
  if (files === null || bytes === null) {
    return trans.__('counting…');
  }
  return `${trans._n('%1 file', '%1 files', files)} · ${formatBytes(bytes)}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0
    ? `${value} ${units[unit]}`
    : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
